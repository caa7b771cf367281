// Pins down the cusp:// protocol: the built renderer with the app's CSP, index.html for
// client-side routes, nothing outside the renderer folder, main's routes (/img/ …) asked first.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { contentSecurityPolicy } from '../../main/app/security.js';
import { resolveStaticFile } from '../../main/server/static.js';
import { createAppProtocolHandler, privilegedScheme } from '../../electron/protocol.js';
import { scratchDir } from '../support/paths.js';

let root: string;
let rendererDir: string;
beforeAll(() => {
  root = scratchDir('protocol');
  rendererDir = join(root, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Cusp</title>');
  writeFileSync(join(rendererDir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(rendererDir, 'assets', 'codec.wasm'), Buffer.from([0, 97, 115, 109]));
  writeFileSync(join(root, 'secret.txt'), 'patient list');
});

const get = (url: string, init?: RequestInit) => createAppProtocolHandler({ rendererDir })(new Request(url, init));

describe('cusp:// protocol', () => {
  it('is registered standard, secure and fetchable', () => {
    expect(privilegedScheme).toMatchObject({ scheme: 'cusp', privileges: { standard: true, secure: true, supportFetchAPI: true } });
  });

  it('serves the renderer with the app CSP, the right types and caching', async () => {
    const index = await get('cusp://app/');
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>Cusp</title>');
    expect(index.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');

    const script = await get('cusp://app/assets/index-abc123.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(await script.text()).toBe('console.log(1)');

    const wasm = await get('cusp://app/assets/codec.wasm');
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
  });

  it('answers client-side routes with index.html, and missing files with 404', async () => {
    for (const route of ['cusp://app/consult', 'cusp://app/patients/42', 'cusp://app/schedule?day=2026-11-28']) {
      const response = await get(route);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<title>Cusp</title>');
      expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    }
    expect((await get('cusp://app/assets/missing.js')).status).toBe(404);
  });

  it('never serves a file outside the renderer folder', async () => {
    for (const url of [
      'cusp://app/../secret.txt',
      'cusp://app/%2e%2e/secret.txt',
      'cusp://app/..%2fsecret.txt',
      'cusp://app/assets/..%2f..%2fsecret.txt',
      'cusp://app/..%5csecret.txt',
      'cusp://app/%2Fsecret.txt',
    ]) {
      const response = await get(url);
      const body = await response.text();
      expect(body, url).not.toContain('patient list');
      expect([200, 403, 404], url).toContain(response.status);
      if (response.status === 200) expect(body, url).toContain('<title>Cusp</title>');
    }
    expect((await get('cusp://app/%E0%A4%A')).status).toBe(403);
    expect((await get('cusp://app/index.html%00.js')).status).toBe(403);
    // What the URL parser would tidy away is refused by the resolver itself.
    expect(await resolveStaticFile(rendererDir, '../secret.txt')).toBe('forbidden');
    expect(await resolveStaticFile(rendererDir, '/../../secret.txt')).toBeNull();
  });

  it('answers only GET and HEAD, only for cusp://app', async () => {
    expect((await get('cusp://app/', { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await get('cusp://elsewhere/')).status).toBe(404);
    const head = await get('cusp://app/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(await head.text()).toBe('');
  });

  it("asks main's routes first (any method), and answers 404 under /img/ when they do not take it", async () => {
    expect((await get('cusp://app/img/abc/preview')).status).toBe(404);
    const routes = vi.fn(async (request: Request) => {
      const path = new URL(request.url).pathname;
      return path.startsWith('/img/') || path.startsWith('/uploads') ? new Response(`${request.method} ${path}`, { status: 200 }) : null;
    });
    const handler = createAppProtocolHandler({ rendererDir, routes });
    expect(await (await handler(new Request('cusp://app/img/abc/preview'))).text()).toBe('GET /img/abc/preview');
    expect(await (await handler(new Request('cusp://app/uploads', { method: 'POST', body: 'x' }))).text()).toBe('POST /uploads');
    // Not a route: the renderer's files, as before.
    expect((await handler(new Request('cusp://app/index.html'))).headers.get('content-type')).toMatch(/text\/html/);
    expect((await handler(new Request('cusp://app/index.html', { method: 'POST' }))).status).toBe(405);
    expect(routes).toHaveBeenCalledTimes(4);
  });
});
