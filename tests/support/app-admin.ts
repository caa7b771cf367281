import { expect } from 'vitest';
import type { CallContext } from '../../main/app/context.js';
import type { App } from '../../main/app/index.js';

/**
 * Calls into an open app as the signed-in session `admin` at the `office` workstation, over the
 * real dispatcher; `app` is a getter because tests reopen the app (a restart) midway.
 */
export function adminCalls(app: () => App) {
  const ctx = (): CallContext => ({ transport: 'memory', workstation: 'office', sessionId: 'admin', user: app().resolveUser('admin') });
  /** The method's value; a refusal throws with its code and message. */
  async function call<T = Record<string, unknown>>(method: string, input: unknown): Promise<T> {
    const result = await app().dispatch(method, input, ctx());
    if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
    return result.value as T;
  }
  /** The store migration's status once it no longer runs. */
  async function migrationSettled(): Promise<Record<string, unknown>> {
    let status: Record<string, unknown> = {};
    await expect.poll(async () => (status = await call('settings.migration', {})).state, { timeout: 60_000 }).not.toBe('running');
    return status;
  }
  return { call, migrationSettled };
}
