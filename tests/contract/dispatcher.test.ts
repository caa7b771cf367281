// Pins down the dispatcher: every call is checked (method, role, input, output) and no
// stack trace or driver message crosses the contract.
import { describe, expect, it } from 'vitest';
import type { CallContext } from '../../main/app/context.js';
import { createDispatcher, type Handlers } from '../../main/app/dispatcher.js';
import { AppError } from '../../main/app/errors.js';
import { silentLogger } from '../../main/app/log.js';

const ctx: CallContext = { transport: 'memory', workstation: 'test', sessionId: 's1', user: null };
const health = {
  status: 'ok' as const,
  checkedAt: new Date(0).toISOString(),
  database: { state: 'ok' as const },
  store: { state: 'ok' as const },
  orthanc: { state: 'unconfigured' as const },
  ingest: { queued: 0, failed: 0, quarantined: 0, outbox: 0 },
};
const info = {
  name: 'Cusp' as const,
  version: '1.0.0',
  dataDir: '/d',
  database: { client: 'sqlite' as const, location: '/d/cusp.sqlite' },
  store: { backend: 'file' as const, location: '/d/objects' },
  orthanc: { configured: false },
  language: 'fr' as const,
};

function dispatcherWith(overrides: Partial<Handlers> = {}) {
  // Only the methods these tests call; the others are never dispatched here.
  const handlers = { 'app.info': () => info, 'app.health': () => health, ...overrides } as Handlers;
  return createDispatcher(handlers, { log: silentLogger });
}

describe('dispatcher', () => {
  it('returns the handler value for a valid call', async () => {
    expect(await dispatcherWith()('app.info', {}, ctx)).toEqual({ ok: true, value: info });
  });

  it.each(['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 42, null])('refuses unknown method %s', async (method) => {
    const result = await dispatcherWith()(method, {}, ctx);
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('refuses input that does not match the schema, naming the field', async () => {
    const result = await dispatcherWith()('app.info', { extra: 1 }, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_INPUT');
      expect(result.error.message).toMatch(/extra/);
    }
  });

  it('passes AppError codes through without the cause', async () => {
    const dispatch = dispatcherWith({
      'app.info': () => {
        throw new AppError('UNAVAILABLE', 'The database cannot be reached', { cause: new Error('ECONNREFUSED secret-host:5432') });
      },
    });
    const result = await dispatch('app.info', {}, ctx);
    expect(result).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: 'The database cannot be reached' } });
  });

  it('turns unexpected errors into INTERNAL with a reference and no stack', async () => {
    const dispatch = dispatcherWith({
      'app.info': () => {
        throw new TypeError('cannot read x of undefined at /home/user/secret.ts:10');
      },
    });
    const result = await dispatch('app.info', {}, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INTERNAL');
      expect(result.error.message).not.toMatch(/secret|TypeError|\.ts/);
      expect(result.error.message).toMatch(/reference [0-9a-f]{8}/);
    }
  });

  it('strips fields a handler returns beyond the contract, and refuses a wrong shape', async () => {
    const leaky = dispatcherWith({ 'app.info': () => ({ ...info, password: 'x' }) as typeof info });
    const result = await leaky('app.info', {}, ctx);
    expect(result.ok && 'password' in (result.value as object)).toBe(false);
    const broken = dispatcherWith({ 'app.info': () => ({ ...info, version: 3 }) as unknown as typeof info });
    expect(await broken('app.info', {}, ctx)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });
});
