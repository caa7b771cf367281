// Pins down how the desktop shell serves main's HTTP routes on cusp://: the real image route
// (the one `cusp serve` mounts) answers a fetch Request with the same status, headers and bytes,
// checks the caller the shell passes, calls the audit hook before any byte, and a route that does
// not handle a path leaves it to the shell.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallContext } from '../../main/app/context.js';
import { createImageRoute, folderImageSource } from '../../main/server/images.js';
import type { RouteHandler } from '../../main/server/http.js';
import { respondWithRoute } from '../../electron/routes.js';
import { scratchDir } from '../support/paths.js';

const imageId = '6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b';
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(70_000, 7), Buffer.from([0xff, 0xd9])]);
const ctx = (role: 'dentist' | null): CallContext => ({
  transport: 'ipc',
  workstation: 'chair-1',
  sessionId: 'ipc-test',
  user: role ? { id: 'u1', role, practiceId: 'p1' } : null,
});

function imageRoute(views: string[]) {
  const root = scratchDir('electron-routes');
  mkdirSync(join(root, imageId), { recursive: true });
  writeFileSync(join(root, imageId, 'view'), jpeg);
  return createImageRoute({ source: folderImageSource(root), onView: (id, { variant, call }) => void views.push(`${call.user?.id} ${id} ${variant}`) });
}

describe('respondWithRoute', () => {
  it('serves an image through the real image route, audited for the caller the shell passes', async () => {
    const views: string[] = [];
    const response = await respondWithRoute(imageRoute(views), new Request(`cusp://app/img/${imageId}/view`), ctx('dentist'));
    expect(response!.status).toBe(200);
    expect(response!.headers.get('content-type')).toBe('image/jpeg');
    expect(response!.headers.get('content-length')).toBe(String(jpeg.length));
    expect(Buffer.from(await response!.arrayBuffer()).equals(jpeg)).toBe(true);
    expect(views).toEqual([`u1 ${imageId} view`]);
  });

  it('answers HEAD without a body, and refuses a signed-out window', async () => {
    const views: string[] = [];
    const route = imageRoute(views);
    const head = await respondWithRoute(route, new Request(`cusp://app/img/${imageId}/view`, { method: 'HEAD' }), ctx('dentist'));
    expect(head!.status).toBe(200);
    expect(head!.body).toBeNull();
    expect((await respondWithRoute(route, new Request(`cusp://app/img/${imageId}/view`), ctx(null)))!.status).toBe(403);
    expect((await respondWithRoute(route, new Request(`cusp://app/img/${imageId}/master`), ctx('dentist')))!.status).toBe(404);
    expect(views).toEqual([]); // HEAD and refusals are not views
  });

  it('passes a request body to the route, and returns null when the route declines the path', async () => {
    const echo: RouteHandler = async (req, res) => {
      if (!req.url?.startsWith('/echo')) return false;
      let text = '';
      for await (const chunk of req) text += String(chunk);
      res.writeHead(201, { 'Content-Type': 'text/plain', 'X-Method': req.method ?? '' });
      res.end(`${req.headers['x-test']}:${text}`);
      return true;
    };
    const posted = await respondWithRoute(echo, new Request('cusp://app/echo?x=1', { method: 'POST', body: 'dicom bytes', headers: { 'X-Test': 'yes' } }), ctx('dentist'));
    expect(posted!.status).toBe(201);
    expect(posted!.headers.get('x-method')).toBe('POST');
    expect(await posted!.text()).toBe('yes:dicom bytes');
    expect(await respondWithRoute(echo, new Request('cusp://app/other'), ctx('dentist'))).toBeNull();
  });

  it('answers 500 without details when the route fails before answering', async () => {
    const failing: RouteHandler = async () => {
      throw new Error('store unreachable at s3://secret-bucket');
    };
    const response = await respondWithRoute(failing, new Request('cusp://app/img/x/view'), ctx('dentist'));
    expect(response!.status).toBe(500);
    expect(await response!.text()).not.toContain('secret-bucket');
  });
});
