import { randomUUID } from 'node:crypto';
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { CallContext } from '../main/app/context.js';
import type { Dispatch } from '../main/app/dispatcher.js';
import type { EventBus } from '../main/app/events.js';
import type { Logger } from '../main/app/log.js';
import { isAppUrl } from './security.js';

/** Channels shared with preload.cts (which repeats them: a sandboxed preload cannot import). */
export const invokeChannel = 'cusp:invoke';
export const eventChannel = 'cusp:event';

/** The parts of a webContents the transport uses. */
export type WindowContents = Pick<WebContents, 'mainFrame' | 'isDestroyed' | 'send'>;

export interface IpcTransportOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  dispatch: Dispatch;
  events: EventBus;
  log: Logger;
  /** Written to the audit log with every call (services.config.workstation). */
  workstation: string;
  /** The webContents of Cusp's own windows, now; calls from anything else are refused. */
  windows: () => readonly WindowContents[];
  /** Attaches the signed-in user to a window's session (sign-in lands here in a later issue). */
  resolveUser?: (sessionId: string) => CallContext['user'];
  /** The transport session of a window (shared with the cusp:// routes, so both see one user). */
  sessionOf?: (contents: object) => string;
}

/** One transport session per window (webContents), for as long as the window lives. */
export function createWindowSessions(): (contents: object) => string {
  const sessions = new WeakMap<object, string>();
  return (contents) => {
    let id = sessions.get(contents);
    if (!id) sessions.set(contents, (id = `ipc-${randomUUID()}`));
    return id;
  };
}

/**
 * Whether an IPC call comes from the top frame of one of our windows, showing a `cusp://app`
 * page. A subframe, a page that navigated elsewhere, or a webContents we did not create is refused.
 */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, windows: readonly WindowContents[]): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null || !isAppUrl(frame.url)) return false;
  return windows.some(
    (contents) =>
      contents === event.sender &&
      !contents.isDestroyed() &&
      contents.mainFrame.processId === frame.processId &&
      contents.mainFrame.frameToken === frame.frameToken,
  );
}

/**
 * The Electron IPC transport of the contract: `cusp:invoke` calls go to the dispatcher with a
 * context main builds itself (never what the page claims), and every contract event is sent to
 * every window on `cusp:event`. Returns a function that takes both down.
 */
export function startIpcTransport(options: IpcTransportOptions): () => void {
  const sessionOf = options.sessionOf ?? createWindowSessions();

  options.ipcMain.handle(invokeChannel, (event, method: unknown, input: unknown) => {
    if (!isTrustedSender(event, options.windows())) {
      options.log.warn({ url: event.senderFrame?.url ?? null }, 'IPC call refused: not a Cusp window');
      throw new Error('Refused: this frame is not a Cusp window');
    }
    const sessionId = sessionOf(event.sender);
    const ctx: CallContext = {
      transport: 'ipc',
      workstation: options.workstation,
      sessionId,
      user: options.resolveUser?.(sessionId) ?? null,
    };
    return options.dispatch(method, input, ctx);
  });

  const unsubscribe = options.events.subscribe((name, payload) => {
    for (const contents of options.windows()) {
      if (!contents.isDestroyed()) contents.send(eventChannel, name, payload);
    }
  });

  return () => {
    unsubscribe();
    options.ipcMain.removeHandler(invokeChannel);
  };
}
