// Pins down the loopback HTTP transport of `cusp serve`: the token (cookie or Bearer) on every
// request, the Host check against DNS rebinding, what /rpc accepts, server-sent events, and
// static files (no way out of the renderer folder, the CSP on every page).
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health } from '../../../contract/index.js';
import { openApp, type App } from '../../../main/app/index.js';
import { silentLogger } from '../../../main/app/log.js';
import { startHttpServer, type HttpServer } from '../../../main/server/http.js';
import { scratchDir } from '../../support/paths.js';

let app: App;
let server: HttpServer;
let staticDir: string;

beforeAll(async () => {
  const root = scratchDir('http');
  staticDir = join(root, 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Cusp</title>');
  writeFileSync(join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'outside the renderer');
  app = await openApp({ dataDir: join(root, 'data'), log: silentLogger });
  server = await startHttpServer({
    dispatch: app.dispatch,
    events: app.services.events,
    log: silentLogger,
    workstation: 'test',
    staticDir,
  });
});

afterAll(async () => {
  await server?.close();
  await app?.services.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http rather than fetch: it sends the path and Host exactly as given. */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const bearer = () => ({ Authorization: `Bearer ${server.token}` });
const json = { 'Content-Type': 'application/json' };
const rpcBody = (method: unknown, input: unknown = {}) => JSON.stringify({ method, input });

describe('the token', () => {
  it.each(['/rpc', '/events', '/', '/assets/app-1234.js'])('is required for %s (401 without it)', async (path) => {
    const response = await raw(path, { method: path === '/rpc' ? 'POST' : 'GET', headers: json, body: path === '/rpc' ? rpcBody('app.info') : undefined });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('is refused when wrong, as a header or as a cookie', async () => {
    const wrong = 'x'.repeat(server.token.length);
    expect((await raw('/rpc', { method: 'POST', headers: { ...json, Authorization: `Bearer ${wrong}` }, body: rpcBody('app.info') })).status).toBe(401);
    expect((await raw('/rpc', { method: 'POST', headers: { ...json, Cookie: `cusp_token=${wrong}` }, body: rpcBody('app.info') })).status).toBe(401);
    expect((await raw('/rpc', { method: 'POST', headers: { ...json, Authorization: 'Bearer short' }, body: rpcBody('app.info') })).status).toBe(401);
  });

  it('is accepted as a Bearer header', async () => {
    const response = await raw('/rpc', { method: 'POST', headers: { ...json, ...bearer() }, body: rpcBody('app.info') });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true, value: { name: 'Cusp' } });
  });

  it('in the printed URL is traded for an HttpOnly SameSite=Strict cookie and dropped from the address', async () => {
    const url = new URL(server.url);
    const response = await raw(`${url.pathname}${url.search}`);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/');
    const cookies = [response.headers['set-cookie'] ?? []].flat();
    const tokenCookie = cookies.find((c) => c.startsWith('cusp_token='));
    expect(tokenCookie).toBe(`cusp_token=${server.token}; HttpOnly; SameSite=Strict; Path=/`);
    expect(cookies.find((c) => c.startsWith('cusp_session='))).toMatch(/; HttpOnly; SameSite=Strict; Path=\/$/);

    const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
    const page = await raw('/', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Cusp</title>');
    const call = await raw('/rpc', { method: 'POST', headers: { ...json, Cookie: cookie }, body: rpcBody('app.health') });
    expect(JSON.parse(call.body)).toMatchObject({ ok: true, value: { status: expect.any(String) } });
  });

  it('keeps the rest of the address when it redirects, and refuses a wrong token in the URL', async () => {
    const response = await raw(`/consult?token=${server.token}&screen=2`);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/consult?screen=2');
    const wrong = await raw(`/?token=${'x'.repeat(server.token.length)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });
});

describe('the Host header', () => {
  it.each(['evil.example', '127.0.0.1', '127.0.0.1:1', 'localhost.evil.example'])('refuses %s with 421', async (host) => {
    const response = await raw('/rpc', { method: 'POST', headers: { ...json, ...bearer(), Host: host }, body: rpcBody('app.info') });
    expect(response.status).toBe(421);
  });

  it('accepts localhost on our port', async () => {
    const response = await raw('/rpc', { method: 'POST', headers: { ...json, ...bearer(), Host: `localhost:${server.port}` }, body: rpcBody('app.info') });
    expect(response.status).toBe(200);
  });
});

describe('POST /rpc', () => {
  const post = (body: string | Buffer, headers: Record<string, string> = json) => raw('/rpc', { method: 'POST', headers: { ...bearer(), ...headers }, body });

  it('answers 415 to anything but JSON (a form post cannot reach it cross-site)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await post(rpcBody('app.info'), { 'Content-Type': type });
      expect(response.status).toBe(415);
      expect(JSON.parse(response.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
  });

  it('answers 400 to a body that is not JSON, or not an object', async () => {
    for (const body of ['{"method":', 'null', '[1,2]', '"app.info"']) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
  });

  it('answers 400 to a body over 1 MiB', async () => {
    const big = JSON.stringify({ method: 'app.info', input: { padding: 'x'.repeat(1024 * 1024) } });
    const response = await post(big);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: 'Request too large' } });
  });

  it('answers 405 to GET', async () => {
    expect((await raw('/rpc', { headers: bearer() })).status).toBe(405);
  });

  it.each(['nope', '__proto__', 'constructor', 'hasOwnProperty'])('refuses the unknown method %s', async (method) => {
    const response = await post(rpcBody(method));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('returns INVALID_INPUT for input the schema refuses, without a stack trace', async () => {
    const response = await post(rpcBody('app.info', { extra: 1 }));
    const body = JSON.parse(response.body) as { ok: boolean; error: { code: string; message: string } };
    expect(body).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(body.error.message).not.toMatch(/\bat .*\.[jt]s:\d+/);
  });
});

describe('GET /events', () => {
  it('delivers an emitted event as a named server-sent event', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.origin}/events`, { headers: bearer(), signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const first = await reader.read(); // ': connected' — the server registered this client
    received += first.value ?? '';

    const health: Health = {
      status: 'degraded',
      checkedAt: new Date(0).toISOString(),
      database: { state: 'ok' },
      store: { state: 'unavailable', message: 'bucket unreachable' },
      orthanc: { state: 'unconfigured' },
      ingest: { queued: 3, failed: 1, quarantined: 0, outbox: 2 },
    };
    app.services.events.emit('app.health', health);
    while (!/event: app\.health\ndata: .*\n\n/.test(received)) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value;
    }
    controller.abort();
    const frame = /event: app\.health\ndata: (.*)\n\n/.exec(received);
    expect(frame).not.toBeNull();
    expect(JSON.parse(frame![1]!)).toEqual(health);
  });
});

describe('static files', () => {
  it('serves index.html for client-side routes, with the CSP', async () => {
    for (const path of ['/', '/consult', '/patients/42']) {
      const response = await raw(path, { headers: bearer() });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.body).toContain('<title>Cusp</title>');
    }
  });

  it('serves hashed assets as immutable and a missing file as 404', async () => {
    const asset = await raw('/assets/app-1234.js', { headers: bearer() });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await raw('/assets/missing.js', { headers: bearer() })).status).toBe(404);
  });

  it.each(['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%5csecret.txt', '/%E0%A4%A.txt', '/a%00.txt'])(
    'never serves a file outside the renderer: %s',
    async (path) => {
      const response = await raw(path, { headers: bearer() });
      expect([403, 404]).toContain(response.status);
      expect(response.body).not.toContain('outside the renderer');
    },
  );
});
