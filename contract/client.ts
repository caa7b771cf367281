import {
  ContractError,
  callResultSchema,
  type CallResult,
} from './errors.js';
import {
  events,
  isEventName,
  methods,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
} from './index.js';

/** What a transport (IPC, HTTP, in-memory) provides to the client. */
export interface Transport {
  invoke(method: string, input: unknown): Promise<unknown>;
  /** Subscribe to every event; returns an unsubscribe function. */
  subscribe(listener: (name: string, payload: unknown) => void): () => void;
}

/**
 * The typed client the renderer and tests use. It parses what comes back too: a transport
 * is a boundary, and a peer that answers something off-contract gets an INTERNAL error here.
 */
export interface CuspClient {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  /** Like `call` but returns the result instead of throwing on `ok: false`. */
  tryCall<M extends MethodName>(method: M, input: MethodInput<M>): Promise<CallResult<MethodOutput<M>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export function createClient(transport: Transport): CuspClient {
  async function tryCall<M extends MethodName>(method: M, input: MethodInput<M>): Promise<CallResult<MethodOutput<M>>> {
    const raw = await transport.invoke(method, input);
    const parsed = callResultSchema.safeParse(raw);
    if (!parsed.success) {
      return { ok: false, error: { code: 'INTERNAL', message: `Malformed reply to ${method}` } };
    }
    if (!parsed.data.ok) return parsed.data;
    const value = methods[method].output.safeParse(parsed.data.value);
    if (!value.success) {
      return { ok: false, error: { code: 'INTERNAL', message: `Reply to ${method} does not match the contract` } };
    }
    return { ok: true, value: value.data as MethodOutput<M> };
  }
  return {
    tryCall,
    async call(method, input) {
      const result = await tryCall(method, input);
      if (!result.ok) throw new ContractError(result.error);
      return result.value;
    },
    on(event, listener) {
      return transport.subscribe((name, payload) => {
        if (name !== event || !isEventName(name)) return;
        const parsed = events[name].safeParse(payload);
        if (parsed.success) listener(parsed.data as EventPayload<typeof event>);
      });
    },
  };
}
