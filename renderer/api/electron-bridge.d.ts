/**
 * What electron/preload exposes through contextBridge, and nothing more. The preload and this
 * declaration must stay in step: the renderer only ever sees `window.cusp` when it runs in the
 * desktop app; in a browser (`cusp serve`) it is undefined and the HTTP transport is used.
 */
export interface CuspBridge {
  /** Calls a contract method; resolves with the dispatcher's `{ok, value} | {ok: false, error}`. */
  invoke(method: string, input: unknown): Promise<unknown>;
  /** Receives every event main pushes; returns a function that stops listening. */
  subscribe(listener: (name: string, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    readonly cusp?: CuspBridge;
  }
}
