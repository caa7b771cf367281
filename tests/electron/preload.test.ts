// Pins down the preload bridge: it runs as a sandboxed CommonJS script that may require only
// 'electron', exposes exactly `cusp.invoke` and `cusp.subscribe`, checks its arguments and never
// hands Electron objects (ipcRenderer, IpcRendererEvent) to the page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({ shell: { openExternal: vi.fn() } }));

import { eventChannel, invokeChannel } from '../../electron/ipc.js';
import { repoRoot } from '../support/paths.js';

type Bridge = {
  invoke(method: unknown, input: unknown): Promise<unknown>;
  subscribe(listener: unknown): () => void;
};

/** Compiles preload.cts as tsc does (CommonJS) and runs it the way a sandboxed preload runs. */
function loadPreload() {
  const source = readFileSync(join(repoRoot, 'electron', 'preload.cts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: 'preload.cts',
  });
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const ipcRenderer = {
    invoke: vi.fn(async (..._args: unknown[]) => ({ ok: true, value: 'from main' })),
    on: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
    }),
    removeListener: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
      listeners.get(channel)?.delete(listener);
    }),
  };
  const electron = {
    contextBridge: { exposeInMainWorld: vi.fn((key: string, api: unknown) => exposed.set(key, api)) },
    ipcRenderer,
  };
  const required: string[] = [];
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${name}`);
  };
  const module = { exports: {} };
  runInNewContext(`(function (exports, require, module) {${outputText}\n})`, { Promise, TypeError })(module.exports, sandboxRequire, module);
  const emit = (channel: string, ...args: unknown[]) => {
    for (const listener of listeners.get(channel) ?? []) listener(...args);
  };
  return { exposed, electron, ipcRenderer, required, emit, listeners };
}

describe('preload', () => {
  it('is emitted by `tsc -b electron` as dist/electron/preload.cjs, the file main.ts loads', () => {
    const configFile = join(repoRoot, 'electron', 'tsconfig.json');
    const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, join(repoRoot, 'electron'), undefined, configFile);
    const preloadSource = join(repoRoot, 'electron', 'preload.cts');
    expect(parsed.fileNames).toContain(preloadSource);
    expect(ts.getOutputFileNames(parsed, preloadSource, false)).toContain(join(repoRoot, 'dist', 'electron', 'preload.cjs'));
    expect(readFileSync(join(repoRoot, 'electron', 'main.ts'), 'utf8')).toMatch(/join\(dirname\(fileURLToPath\(import\.meta\.url\)\), 'preload\.cjs'\)/);
  });

  it('exposes exactly window.cusp with invoke and subscribe, and requires only electron', () => {
    const { exposed, electron, required } = loadPreload();
    expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect([...exposed.keys()]).toEqual(['cusp']);
    const bridge = exposed.get('cusp') as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'subscribe']);
    expect(typeof bridge.invoke).toBe('function');
    expect(typeof bridge.subscribe).toBe('function');
    expect(required).toEqual(['electron']);
  });

  it('invokes main on the shared channel and refuses a method that is not a string', async () => {
    const { exposed, ipcRenderer } = loadPreload();
    const bridge = exposed.get('cusp') as Bridge;
    await expect(bridge.invoke('app.info', {})).resolves.toEqual({ ok: true, value: 'from main' });
    expect(ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(invokeChannel, 'app.info', {});
    for (const bad of [42, null, undefined, { toString: () => 'app.info' }]) {
      await expect(bridge.invoke(bad, {})).rejects.toThrow(/method must be a string/);
    }
    expect(ipcRenderer.invoke).toHaveBeenCalledTimes(1);
  });

  it('passes events as (name, payload) without the IPC event, and unsubscribes', () => {
    const { exposed, emit, listeners } = loadPreload();
    const bridge = exposed.get('cusp') as Bridge;
    const listener = vi.fn();
    const unsubscribe = bridge.subscribe(listener);
    const ipcEvent = { sender: { send: () => {} }, ports: [] };
    emit(eventChannel, ipcEvent, 'app.health', { status: 'ok' });
    expect(listener).toHaveBeenCalledExactlyOnceWith('app.health', { status: 'ok' });
    emit(eventChannel, ipcEvent, 12, 'not an event name');
    expect(listener).toHaveBeenCalledTimes(1);
    unsubscribe();
    expect(listeners.get(eventChannel)?.size).toBe(0);
    emit(eventChannel, ipcEvent, 'app.health', {});
    expect(listener).toHaveBeenCalledTimes(1);
    expect(() => bridge.subscribe('not a function')).toThrow(/listener must be a function/);
  });
});
