import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { createClient, type CuspClient } from '../../contract/client.js';
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from '../../contract/index.js';
import type { ConnectionState, RendererTransport } from './transport.js';

interface CuspContextValue {
  client: CuspClient;
  transport: RendererTransport;
}

const CuspContext = createContext<CuspContextValue | null>(null);

/** Gives every screen the typed client over the transport picked at start-up. */
export function CuspProvider({ transport, children }: { transport: RendererTransport; children: ReactNode }) {
  const value = useMemo(() => ({ client: createClient(transport), transport }), [transport]);
  return <CuspContext.Provider value={value}>{children}</CuspContext.Provider>;
}

function useCuspContext(): CuspContextValue {
  const value = useContext(CuspContext);
  if (!value) throw new Error('useCusp() needs a <CuspProvider> above it');
  return value;
}

/** The typed contract client: `useCusp().call('app.info', {})`. */
export function useCusp(): CuspClient {
  return useCuspContext().client;
}

/**
 * Calls `listener` with each `name` event main pushes, for as long as the component is mounted.
 * The latest `listener` is used without resubscribing, so an inline arrow function is fine.
 */
export function useEvent<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): void {
  const client = useCusp();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => client.on(name, (payload) => latest.current(payload)), [client, name]);
}

/** Whether pushed events currently arrive (always 'live' in the desktop app). */
export function useConnectionState(): ConnectionState {
  const { transport } = useCuspContext();
  const [state, setState] = useState<ConnectionState>('connecting');
  useEffect(() => transport.onConnectionChange(setState), [transport]);
  return state;
}

export interface CallState<T> {
  /** The last value received; kept while a reload runs so the screen does not flicker. */
  value: T | null;
  /** The last failure (a ContractError for `ok: false`), or null. */
  error: unknown;
  reload(): void;
  /** Replaces the value, e.g. with a fresher one pushed by an event. */
  setValue(value: T): void;
}

/** Calls `method` once mounted (and again when `input` changes or on `reload()`). */
export function useCall<M extends MethodName>(method: M, input: MethodInput<M>): CallState<MethodOutput<M>> {
  const client = useCusp();
  const [value, setValue] = useState<MethodOutput<M> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const inputKey = JSON.stringify(input);
  // Only the latest call or replacement counts: an answer that arrives after a newer one is dropped.
  const generation = useRef(0);
  const reload = useCallback(() => {
    const current = ++generation.current;
    setError(null);
    client.call(method, JSON.parse(inputKey) as MethodInput<M>).then(
      (next) => current === generation.current && setValue(next),
      (failure: unknown) => current === generation.current && setError(failure),
    );
  }, [client, method, inputKey]);
  useEffect(reload, [reload]);
  const replace = useCallback((next: MethodOutput<M>) => {
    generation.current += 1;
    setError(null);
    setValue(next);
  }, []);
  return { value, error, reload, setValue: replace };
}
