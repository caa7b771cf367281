// Pins down the /img/ route the viewer reads pixels from: what it serves (type sniffed from the
// bytes, length, `Cache-Control: private`), what it refuses (non-UUID ids, unknown variants,
// other methods, callers without imaging.view), and that every view reaches the audit hook
// before a byte is sent — and that a failing audit means no image.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext } from '../../../main/app/context.js';
import { EventBus } from '../../../main/app/events.js';
import { silentLogger } from '../../../main/app/log.js';
import { startHttpServer, type HttpServer } from '../../../main/server/http.js';
import { createImageRoute, folderImageSource, sniffContentType, type ImageVariant } from '../../../main/server/images.js';
import { dicomData, scratchDir } from '../../support/paths.js';

const imageId = '0190c2a4-7b1e-7cc1-9a53-2f4b6d8e0a11';
const absentId = '0190c2a4-7b1e-7cc1-9a53-2f4b6d8e0a12';
const dicomFile = dicomData('dental', 'IO_bitewing01_8bit_ExplicitVRLE.dcm');

let server: HttpServer;
let root: string;
let views: Array<{ imageId: string; variant: ImageVariant; user: string | null }> = [];
let auditFails = false;
let role: 'dentist' | 'frontdesk' | null = 'dentist';

beforeAll(async () => {
  root = scratchDir('img-route');
  mkdirSync(join(root, imageId));
  const grey = { create: { width: 40, height: 30, channels: 3 as const, background: { r: 90, g: 90, b: 90 } } };
  writeFileSync(join(root, imageId, 'view'), await sharp(grey).jpeg({ quality: 90 }).toBuffer());
  writeFileSync(join(root, imageId, 'thumb200'), await sharp(grey).png().toBuffer());
  copyFileSync(dicomFile, join(root, imageId, 'master'));
  const route = createImageRoute({
    source: folderImageSource(root),
    onView: (id, ctx) => {
      if (auditFails) throw new Error('audit log unavailable');
      views.push({ imageId: id, variant: ctx.variant, user: ctx.call.user?.id ?? null });
    },
  });
  server = await startHttpServer({
    dispatch: async () => ({ ok: false, error: { code: 'INTERNAL', message: 'not used' } }),
    events: new EventBus(),
    log: silentLogger,
    workstation: 'test',
    routes: { '/img/': route },
    resolveUser: (): CallContext['user'] => (role ? { id: `user-${role}`, role, practiceId: 'p' } : null),
  });
});

afterAll(async () => {
  await server?.close();
});

const get = (path: string, init: RequestInit = {}) =>
  fetch(`${server.origin}${path}`, { ...init, headers: { Authorization: `Bearer ${server.token}`, ...init.headers } });

describe('GET /img/<id>/<variant>', () => {
  it('serves each stored variant with its sniffed type, exact length and private caching', async () => {
    views = [];
    const expected: Array<[ImageVariant, string, string]> = [
      ['view', 'image/jpeg', join(root, imageId, 'view')],
      ['thumb200', 'image/png', join(root, imageId, 'thumb200')],
      ['master', 'application/dicom', dicomFile],
    ];
    for (const [variant, type, file] of expected) {
      const response = await get(`/img/${imageId}/${variant}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('cache-control')).toBe('private');
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.equals(await readFile(file))).toBe(true);
      expect(response.headers.get('content-length')).toBe(String(body.length));
    }
    expect(views).toEqual(expected.map(([variant]) => ({ imageId, variant, user: 'user-dentist' })));
  });

  it('accepts an upper-case UUID as the same image', async () => {
    views = [];
    expect((await get(`/img/${imageId.toUpperCase()}/view`)).status).toBe(200);
    expect(views).toEqual([{ imageId, variant: 'view', user: 'user-dentist' }]);
  });

  it('answers HEAD with the headers and no audit record (nothing was shown)', async () => {
    views = [];
    const response = await get(`/img/${imageId}/master`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/dicom');
    expect(views).toEqual([]);
  });

  it('answers 404 for a variant not stored, an unknown image and an unknown variant', async () => {
    views = [];
    expect((await get(`/img/${imageId}/preview`)).status).toBe(404);
    expect((await get(`/img/${absentId}/view`)).status).toBe(404);
    expect((await get(`/img/${imageId}/thumb50`)).status).toBe(404);
    expect((await get(`/img/${imageId}/original`)).status).toBe(404);
    expect((await get(`/img/${imageId}`)).status).toBe(404);
    expect(views).toEqual([]);
  });

  it.each([
    ['a path', '..%2F..%2Fetc%2Fpasswd'],
    ['a name', 'bitewing'],
    ['a UUID with a suffix', `${imageId}x`],
    ['an encoded UUID', encodeURIComponent(`${imageId}/`)],
  ])('refuses %s as an id with 400', async (_what, id) => {
    expect((await get(`/img/${id}/view`)).status).toBe(400);
  });

  it('refuses other methods with 405', async () => {
    const response = await get(`/img/${imageId}/view`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('refuses a caller who is not signed in with 403, and serves front desk (thumbnails for review)', async () => {
    role = null;
    try {
      expect((await get(`/img/${imageId}/view`)).status).toBe(403);
    } finally {
      role = 'frontdesk';
    }
    expect((await get(`/img/${imageId}/thumb200`)).status).toBe(200);
    role = 'dentist';
  });

  it('still needs the server token: the route sits behind the transport', async () => {
    expect((await fetch(`${server.origin}/img/${imageId}/view`)).status).toBe(401);
  });

  it('sends no image when the audit hook fails', async () => {
    auditFails = true;
    try {
      const response = await get(`/img/${imageId}/view`);
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toContain('application/json');
    } finally {
      auditFails = false;
    }
  });
});

describe('sniffContentType', () => {
  it('names JPEG, PNG, WebP and DICOM by their bytes and nothing else as an image', async () => {
    const pixel = { create: { width: 2, height: 2, channels: 3 as const, background: '#888' } };
    expect(sniffContentType(await sharp(pixel).jpeg().toBuffer())).toBe('image/jpeg');
    expect(sniffContentType(await sharp(pixel).png().toBuffer())).toBe('image/png');
    expect(sniffContentType(await sharp(pixel).webp().toBuffer())).toBe('image/webp');
    expect(sniffContentType(await readFile(dicomFile))).toBe('application/dicom');
    expect(sniffContentType(Buffer.from('<html><script>alert(1)</script>'))).toBe('application/octet-stream');
    expect(sniffContentType(Buffer.alloc(0))).toBe('application/octet-stream');
  });
});
