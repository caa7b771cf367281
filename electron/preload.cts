/**
 * The only bridge between a Cusp page and main. Sandboxed preloads cannot be ES modules, so
 * this file is CommonJS (.cts → dist/electron/preload.cjs) and may require nothing but 'electron'.
 *
 * It exposes `window.cusp` with exactly `invoke` and `subscribe` (renderer/api/electron-bridge.d.ts
 * is the page's side of this shape). Nothing of Electron reaches the page: no ipcRenderer, no
 * IpcRendererEvent, only plain values that contextBridge copies across the isolation boundary.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

// Channel names are repeated from electron/ipc.ts: a sandboxed preload cannot import other files.
const invokeChannel = 'cusp:invoke';
const eventChannel = 'cusp:event';

contextBridge.exposeInMainWorld('cusp', {
  invoke(method: unknown, input: unknown): Promise<unknown> {
    if (typeof method !== 'string') return Promise.reject(new TypeError('cusp.invoke: method must be a string'));
    return ipcRenderer.invoke(invokeChannel, method, input);
  },
  subscribe(listener: unknown): () => void {
    if (typeof listener !== 'function') throw new TypeError('cusp.subscribe: listener must be a function');
    const forward = (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (typeof name === 'string') listener(name, payload);
    };
    ipcRenderer.on(eventChannel, forward);
    return () => {
      ipcRenderer.removeListener(eventChannel, forward);
    };
  },
});
