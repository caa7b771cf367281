// Pins down the IPC transport: only the top frame of one of our windows on cusp://app may call,
// a valid call reaches the real dispatcher with a context main builds, and events reach every window.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({ shell: { openExternal: vi.fn() } }));

import type { IpcMainInvokeEvent } from 'electron';
import type { CallContext } from '../../main/app/context.js';
import type { Dispatch } from '../../main/app/dispatcher.js';
import { openApp, type App } from '../../main/app/index.js';
import { silentLogger } from '../../main/app/log.js';
import { eventChannel, invokeChannel, startIpcTransport, type IpcTransportOptions, type WindowContents } from '../../electron/ipc.js';
import { scratchDir } from '../support/paths.js';

interface FakeFrame {
  url: string;
  processId: number;
  frameToken: string;
  parent: FakeFrame | null;
}

let nextToken = 0;
function frame(url: string, parent: FakeFrame | null = null, processId = 7): FakeFrame {
  return { url, processId, frameToken: `token-${++nextToken}`, parent };
}

function fakeWindow(url = 'cusp://app/') {
  const mainFrame = frame(url);
  const contents = {
    mainFrame,
    destroyed: false,
    isDestroyed() {
      return this.destroyed;
    },
    send: vi.fn(),
  };
  return contents;
}
type FakeWindow = ReturnType<typeof fakeWindow>;

function harness(app: App, windows: FakeWindow[]) {
  let handler: ((event: IpcMainInvokeEvent, ...args: unknown[]) => unknown) | undefined;
  const ipcMain = {
    handle: vi.fn((channel: string, listener: typeof handler) => {
      expect(channel).toBe(invokeChannel);
      handler = listener;
    }),
    removeHandler: vi.fn(),
  };
  const contexts: CallContext[] = [];
  const dispatch: Dispatch = (method, input, ctx) => {
    contexts.push(ctx);
    return app.dispatch(method, input, ctx);
  };
  const stop = startIpcTransport({
    ipcMain: ipcMain as unknown as IpcTransportOptions['ipcMain'],
    dispatch,
    events: app.services.events,
    log: silentLogger,
    workstation: 'chair-2',
    windows: () => windows as unknown as WindowContents[],
  });
  const invoke = async (sender: unknown, senderFrame: FakeFrame | null, method: unknown, input: unknown) =>
    handler!({ sender, senderFrame } as unknown as IpcMainInvokeEvent, method, input);
  return { invoke, contexts, stop, ipcMain };
}

let app: App;
let dataDir: string;
beforeAll(async () => {
  dataDir = scratchDir('ipc');
  app = await openApp({ dataDir, log: silentLogger });
});
afterAll(() => app.services.close());

describe('IPC transport', () => {
  it('forwards a call from our window to the dispatcher with an ipc context', async () => {
    const window = fakeWindow();
    const { invoke, contexts, stop } = harness(app, [window]);
    const result = await invoke(window, window.mainFrame, 'app.info', {});
    expect(result).toMatchObject({ ok: true, value: { name: 'Cusp', dataDir } });
    expect(contexts[0]).toMatchObject({ transport: 'ipc', workstation: 'chair-2', user: null });
    expect(contexts[0]!.sessionId).toMatch(/^ipc-/);
    // The dispatcher's own checks still apply behind the transport.
    expect(await invoke(window, window.mainFrame, 'app.nope', {})).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await invoke(window, window.mainFrame, 'app.info', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    stop();
  });

  it('gives each window its own session, stable across calls', async () => {
    const first = fakeWindow();
    const second = fakeWindow('cusp://app/consult');
    const { invoke, contexts, stop } = harness(app, [first, second]);
    await invoke(first, first.mainFrame, 'app.health', {});
    await invoke(first, first.mainFrame, 'app.health', {});
    await invoke(second, second.mainFrame, 'app.health', {});
    expect(contexts[0]!.sessionId).toBe(contexts[1]!.sessionId);
    expect(contexts[2]!.sessionId).not.toBe(contexts[0]!.sessionId);
    stop();
  });

  it('refuses frames that are not the top frame of one of our windows on cusp://app', async () => {
    const window = fakeWindow();
    const stranger = fakeWindow();
    const { invoke, contexts, stop } = harness(app, [window]);
    const refusals: Array<[unknown, FakeFrame | null]> = [
      // a page that navigated away (or was loaded from elsewhere)
      [window, { ...window.mainFrame, url: 'https://evil.example/' }],
      [window, { ...window.mainFrame, url: 'cusp://other/' }],
      // an iframe inside our page, even one on our origin
      [window, frame('cusp://app/embedded', window.mainFrame)],
      [window, frame('https://evil.example/', window.mainFrame)],
      // a frame on our origin that is not this window's main frame
      [window, frame('cusp://app/')],
      // a webContents that is not one of our windows
      [stranger, stranger.mainFrame],
      // the frame is gone
      [window, null],
    ];
    for (const [sender, senderFrame] of refusals) {
      await expect(invoke(sender, senderFrame, 'app.info', {})).rejects.toThrow(/not a Cusp window/);
    }
    window.destroyed = true;
    await expect(invoke(window, window.mainFrame, 'app.info', {})).rejects.toThrow(/not a Cusp window/);
    expect(contexts).toHaveLength(0);
    stop();
  });

  it('sends every contract event to every live window, and stops when taken down', async () => {
    const first = fakeWindow();
    const second = fakeWindow('cusp://app/consult');
    const closed = fakeWindow();
    closed.destroyed = true;
    const { stop, ipcMain } = harness(app, [first, second, closed]);
    const health = await app.services.health();
    app.services.events.emit('app.health', health);
    for (const window of [first, second]) {
      expect(window.send).toHaveBeenCalledExactlyOnceWith(eventChannel, 'app.health', health);
    }
    expect(closed.send).not.toHaveBeenCalled();

    stop();
    expect(ipcMain.removeHandler).toHaveBeenCalledWith(invokeChannel);
    app.services.events.emit('app.health', health);
    expect(first.send).toHaveBeenCalledTimes(1);
  });
});
