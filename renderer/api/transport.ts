import type { Transport } from '../../contract/client.js';
import type { CallError } from '../../contract/errors.js';
import { events } from '../../contract/events.js';
import type { CuspBridge } from './electron-bridge.js';

/** Whether pushed events currently reach this window. */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/** A transport that can also say whether its event stream is up (for the status bar). */
export interface RendererTransport extends Transport {
  readonly kind: 'electron' | 'http';
  onConnectionChange(listener: (state: ConnectionState) => void): () => void;
}

const failure = (code: CallError['code'], message: string) => ({ ok: false as const, error: { code, message } });

/** The desktop app: the preload bridge already speaks the contract's Transport shape. */
export function createElectronTransport(bridge: CuspBridge): RendererTransport {
  return {
    kind: 'electron',
    async invoke(method, input) {
      try {
        return await bridge.invoke(method, input);
      } catch (error) {
        // IPC only rejects when main is gone or refuses this frame; the dispatcher never throws.
        return failure('UNAVAILABLE', error instanceof Error ? error.message : String(error));
      }
    },
    subscribe: (listener) => bridge.subscribe(listener),
    onConnectionChange(listener) {
      listener('live');
      return () => {};
    },
  };
}

/** The parts of the browser the HTTP transport needs; injectable so Node tests can drive it. */
export interface HttpTransportOptions {
  /** Origin + path prefix of `cusp serve`; '' means the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  EventSource?: { new (url: string, init?: EventSourceInit): EventSource; readonly CLOSED: number };
  /** Waits before reopening a closed event stream: grows from `minRetryMs` to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

/**
 * `cusp serve`: calls are `POST /rpc` with `{method, input}` (the token travels as the HttpOnly
 * cookie set when the printed URL was opened); events come over one shared EventSource on
 * `/events`, reopened with back-off when the server closes it or refuses it (restart, 401).
 * Transport failures come back as contract errors so screens have one kind of error to show.
 */
export function createHttpTransport(options: HttpTransportOptions = {}): RendererTransport {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const EventSourceImpl = options.EventSource ?? globalThis.EventSource;
  const minRetryMs = options.minRetryMs ?? 1000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  const schedule = options.setTimeout ?? ((callback, ms) => setTimeout(callback, ms));
  const cancel = options.clearTimeout ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));

  const listeners = new Set<(name: string, payload: unknown) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let source: EventSource | null = null;
  let retryTimer: unknown = null;
  let retryMs = minRetryMs;

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of connectionListeners) listener(state);
  };

  const deliver = (name: string) => (message: MessageEvent) => {
    let payload: unknown;
    try {
      payload = JSON.parse(String(message.data));
    } catch {
      return; // a frame that is not JSON is not the contract's; the client would refuse it anyway
    }
    for (const listener of listeners) listener(name, payload);
  };

  const open = () => {
    retryTimer = null;
    const stream = new EventSourceImpl(`${baseUrl}/events`, { withCredentials: true });
    source = stream;
    stream.addEventListener('open', () => {
      retryMs = minRetryMs;
      setState('live');
    });
    stream.addEventListener('error', () => {
      if (source !== stream) return;
      // CONNECTING: the browser retries by itself. CLOSED: it gave up (e.g. 401), so we retry.
      if (stream.readyState !== EventSourceImpl.CLOSED) return setState('reconnecting');
      stream.close();
      source = null;
      setState('reconnecting');
      retryTimer = schedule(open, retryMs);
      retryMs = Math.min(retryMs * 2, maxRetryMs);
    });
    for (const name of Object.keys(events)) stream.addEventListener(name, deliver(name));
  };

  const close = () => {
    if (retryTimer !== null) cancel(retryTimer);
    retryTimer = null;
    source?.close();
    source = null;
    state = 'connecting';
  };

  return {
    kind: 'http',
    async invoke(method, input) {
      let response: Response;
      try {
        response = await doFetch(`${baseUrl}/rpc`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          credentials: 'same-origin',
          body: JSON.stringify({ method, input }),
        });
      } catch (error) {
        return failure('UNAVAILABLE', `Cusp does not answer (${error instanceof Error ? error.message : String(error)})`);
      }
      if (response.status === 401) {
        return failure('UNAUTHENTICATED', 'HTTP 401: the access token was missing or wrong');
      }
      const type = response.headers.get('content-type') ?? '';
      if (!type.startsWith('application/json')) {
        return failure(response.status >= 500 ? 'INTERNAL' : 'UNAVAILABLE', `Unexpected answer from Cusp (HTTP ${response.status})`);
      }
      try {
        // 200 and the 4xx of the transport (bad body, wrong content type) all carry a call result.
        return await response.json();
      } catch {
        return failure('INTERNAL', `Unreadable answer from Cusp (HTTP ${response.status})`);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!source && retryTimer === null) open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) close();
      };
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
  };
}

/** The desktop app when the preload bridge is there, otherwise `cusp serve` over HTTP. */
export function pickTransport(win: Pick<Window, 'cusp'> = window): RendererTransport {
  return win.cusp ? createElectronTransport(win.cusp) : createHttpTransport();
}
