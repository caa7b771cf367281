// Pins down how the renderer reaches main: the HTTP transport against the real loopback server
// (results, contract errors, transport failures as contract errors), its event stream (named
// events, one shared stream, reconnection with back-off), and the choice of Electron vs HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../contract/client.js';
import type { Health } from '../../contract/index.js';
import { openApp, type App } from '../../main/app/index.js';
import { silentLogger } from '../../main/app/log.js';
import { startHttpServer, type HttpServer } from '../../main/server/http.js';
import type { CuspBridge } from '../../renderer/api/electron-bridge.js';
import { createElectronTransport, createHttpTransport, pickTransport, type ConnectionState } from '../../renderer/api/transport.js';
import { scratchDir } from '../support/paths.js';

const health: Health = {
  status: 'ok',
  checkedAt: new Date(0).toISOString(),
  database: { state: 'ok' },
  store: { state: 'ok' },
  orthanc: { state: 'unconfigured' },
  ingest: { queued: 0, failed: 0, quarantined: 0, outbox: 0 },
};

describe('HTTP transport against cusp serve', () => {
  let app: App;
  let server: HttpServer;
  // In the browser the token travels as a cookie; from Node we add the Bearer header instead.
  const withToken: typeof fetch = (input, init) =>
    fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), Authorization: `Bearer ${server.token}` } });

  beforeAll(async () => {
    app = await openApp({ dataDir: scratchDir('transport'), log: silentLogger });
    server = await startHttpServer({ dispatch: app.dispatch, events: app.services.events, log: silentLogger, workstation: 'test' });
  });
  afterAll(async () => {
    await server?.close();
    await app?.services.close();
  });

  it('calls a method and parses the reply', async () => {
    const client = createClient(createHttpTransport({ baseUrl: server.origin, fetch: withToken }));
    const info = await client.call('app.info', {});
    expect(info).toMatchObject({ name: 'Cusp', language: 'fr' });
  });

  it("returns the dispatcher's error for bad input", async () => {
    const client = createClient(createHttpTransport({ baseUrl: server.origin, fetch: withToken }));
    // @ts-expect-error — deliberately off-contract
    const result = await client.tryCall('app.info', { extra: 1 });
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('turns 401 into UNAUTHENTICATED with what to do', async () => {
    const client = createClient(createHttpTransport({ baseUrl: server.origin }));
    const result = await client.tryCall('app.info', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('HTTP 401') } });
  });

  it('turns a server that does not answer into UNAVAILABLE', async () => {
    const client = createClient(createHttpTransport({ baseUrl: 'http://127.0.0.1:1' }));
    expect(await client.tryCall('app.health', {})).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  });

  it('turns a non-JSON answer into a contract error', async () => {
    const html: typeof fetch = async () => new Response('<html>', { status: 502, headers: { 'Content-Type': 'text/html' } });
    const client = createClient(createHttpTransport({ fetch: html }));
    expect(await client.tryCall('app.health', {})).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });
});

/** Stands in for the browser's EventSource so the test drives opening, frames and failures. */
class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  private readonly listeners = new Map<string, Array<(event: MessageEvent) => void>>();
  constructor(
    readonly url: string,
    readonly init?: EventSourceInit,
  ) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  fire(type: string, data?: string) {
    if (type === 'open') this.readyState = FakeEventSource.OPEN;
    for (const listener of this.listeners.get(type) ?? []) listener({ data } as MessageEvent);
  }
}

function eventHarness() {
  FakeEventSource.instances = [];
  const timers: Array<{ ms: number; run: () => void; cancelled: boolean }> = [];
  const transport = createHttpTransport({
    baseUrl: 'http://cusp.test',
    EventSource: FakeEventSource as unknown as typeof EventSource,
    setTimeout: (run, ms) => {
      const timer = { ms, run, cancelled: false };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (timer) => void ((timer as { cancelled: boolean }).cancelled = true),
  });
  const states: ConnectionState[] = [];
  transport.onConnectionChange((state) => states.push(state));
  return { transport, timers, states, streams: FakeEventSource.instances };
}

describe('HTTP transport events', () => {
  it('opens one stream for all listeners and delivers named events, parsed', () => {
    const { transport, streams, states } = eventHarness();
    const client = createClient(transport);
    const a: Health[] = [];
    const b: Health[] = [];
    client.on('app.health', (h) => a.push(h));
    client.on('app.health', (h) => b.push(h));
    expect(streams).toHaveLength(1);
    expect(streams[0]!.url).toBe('http://cusp.test/events');
    expect(streams[0]!.init).toEqual({ withCredentials: true });

    streams[0]!.fire('open');
    streams[0]!.fire('app.health', JSON.stringify(health));
    streams[0]!.fire('app.health', 'not json');
    streams[0]!.fire('app.health', JSON.stringify({ status: 'broken' })); // off-contract: dropped by the client
    expect(a).toEqual([health]);
    expect(b).toEqual([health]);
    expect(states).toEqual(['connecting', 'live']);
  });

  it('reopens a stream the server closed, backing off, and resets the delay once connected', () => {
    const { transport, streams, timers, states } = eventHarness();
    transport.subscribe(() => {});
    streams[0]!.fire('open');

    streams[0]!.readyState = FakeEventSource.CLOSED; // e.g. 401 after a restart with a new token
    streams[0]!.fire('error');
    expect(states.at(-1)).toBe('reconnecting');
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    timers[0]!.run();
    expect(streams).toHaveLength(2);

    streams[1]!.readyState = FakeEventSource.CLOSED;
    streams[1]!.fire('error');
    expect(timers.map((t) => t.ms)).toEqual([1000, 2000]);
    timers[1]!.run();
    streams[2]!.fire('open');
    expect(states.at(-1)).toBe('live');

    streams[2]!.readyState = FakeEventSource.CLOSED;
    streams[2]!.fire('error');
    expect(timers.map((t) => t.ms)).toEqual([1000, 2000, 1000]);
  });

  it('leaves reconnection to the browser while the stream is only CONNECTING', () => {
    const { transport, streams, timers, states } = eventHarness();
    transport.subscribe(() => {});
    streams[0]!.fire('open');
    streams[0]!.readyState = FakeEventSource.CONNECTING;
    streams[0]!.fire('error');
    expect(states.at(-1)).toBe('reconnecting');
    expect(timers).toEqual([]);
    expect(streams).toHaveLength(1);
  });

  it('closes the stream and cancels a pending retry when the last listener leaves', () => {
    const { transport, streams, timers } = eventHarness();
    const stopA = transport.subscribe(() => {});
    const stopB = transport.subscribe(() => {});
    stopA();
    expect(streams[0]!.readyState).not.toBe(FakeEventSource.CLOSED);
    streams[0]!.readyState = FakeEventSource.CLOSED;
    streams[0]!.fire('error');
    stopB();
    expect(timers[0]!.cancelled).toBe(true);
    transport.subscribe(() => {});
    expect(streams).toHaveLength(2);
  });
});

describe('Electron transport', () => {
  const bridge = (invoke: CuspBridge['invoke']): CuspBridge => ({ invoke, subscribe: () => () => {} });

  it('is picked when the preload exposed window.cusp, HTTP otherwise', () => {
    expect(pickTransport({ cusp: bridge(async () => null) }).kind).toBe('electron');
    expect(pickTransport({}).kind).toBe('http');
  });

  it('passes calls and events through the bridge', async () => {
    let listener: ((name: string, payload: unknown) => void) | undefined;
    const transport = createElectronTransport({
      invoke: async (method, input) => ({ ok: true, value: { method, input } }),
      subscribe: (l) => {
        listener = l;
        return () => (listener = undefined);
      },
    });
    expect(await transport.invoke('app.info', {})).toEqual({ ok: true, value: { method: 'app.info', input: {} } });
    const seen: Health[] = [];
    const stop = createClient(transport).on('app.health', (h) => seen.push(h));
    listener!('app.health', health);
    stop();
    expect(listener).toBeUndefined();
    expect(seen).toEqual([health]);
  });

  it('turns a rejected IPC call into UNAVAILABLE', async () => {
    const transport = createElectronTransport(bridge(async () => Promise.reject(new Error('main is gone'))));
    expect(await createClient(transport).tryCall('app.info', {})).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: 'main is gone' } });
  });
});
