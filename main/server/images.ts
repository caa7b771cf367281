import { open, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { roleGrants } from '../../contract/access.js';
import type { CallContext } from '../app/context.js';
import type { RouteHandler } from './http.js';

/**
 * Image bytes for the viewer: `GET /img/<image-uuid>/<variant>`. Pixels never cross the contract;
 * the renderer fetches them by this relative URL (the same path under Electron's `cusp://app/`).
 */
export const imageVariants = ['thumb200', 'preview', 'view', 'master'] as const;
export type ImageVariant = (typeof imageVariants)[number];

/** One stored variant, ready to send. `bytes` becomes Content-Length. */
export interface ImageObject {
  body: Readable | Buffer;
  contentType: string;
  bytes: number;
}

/**
 * Where the route reads from: the object store behind a local cache in the app, a folder in tests.
 * `open` resolves null when the image or that variant does not exist (the route answers 404);
 * it rejects only on a real failure (store unreachable, unreadable file), which answers 500.
 */
export interface ImageSource {
  /** `call` is who asks (the app's source only serves images of the caller's practice). */
  open(imageId: string, variant: ImageVariant, call: CallContext): Promise<ImageObject | null>;
}

export interface ViewContext {
  variant: ImageVariant;
  call: CallContext;
}

export interface ImageRouteOptions {
  source: ImageSource;
  /**
   * Called once per successful GET before any byte is sent: the audit log's hook ("who saw which
   * image, from which workstation"). If it rejects, the image is not sent (500): an image must
   * not be shown without its audit record.
   */
  onView?: (imageId: string, ctx: ViewContext) => Promise<void> | void;
  /** Who may fetch images; defaults to a signed-in user whose role grants `imaging.view`. */
  authorize?: (call: CallContext) => boolean;
  /** `/img/<uuid>/export?format=…` (see export.ts): the annotated exports, under the same prefix. */
  exportRoute?: RouteHandler;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const canViewImages = (call: CallContext) => call.user !== null && roleGrants(call.user.role, 'imaging.view');

/**
 * The `/img/` route for `startHttpServer({ routes: { '/img/': createImageRoute(…) } })`:
 * - GET and HEAD only (405 otherwise);
 * - 400 when the id is not a UUID (ids are opaque: no path, no name can reach the source);
 * - 404 for an unknown variant, image or variant not stored;
 * - 403 when the caller may not view images;
 * - `Cache-Control: private`: the browser may keep it for this user, no shared cache may.
 */
export function createImageRoute(options: ImageRouteOptions): RouteHandler {
  const authorize = options.authorize ?? canViewImages;
  return async (req: IncomingMessage, res: ServerResponse, call: CallContext) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = /^\/img\/([^/]+)\/([^/]+)$/.exec(pathname);
    if (!match) return notFound(res);
    const [, imageId, variantName] = match as unknown as [string, string, string];
    if (variantName === 'export' && options.exportRoute) return options.exportRoute(req, res, call);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Use GET', { Allow: 'GET, HEAD' });
    if (!uuidPattern.test(imageId)) return send(res, 400, 'Image ids are UUIDs');
    if (!(imageVariants as readonly string[]).includes(variantName)) return notFound(res);
    if (!authorize(call)) return send(res, 403, 'Not allowed to view images');
    const variant = variantName as ImageVariant;

    const object = await options.source.open(imageId.toLowerCase(), variant, call);
    if (!object) return notFound(res);
    try {
      if (req.method === 'GET') await options.onView?.(imageId.toLowerCase(), { variant, call });
    } catch (error) {
      discard(object);
      throw error;
    }
    res.writeHead(200, {
      'Content-Type': object.contentType,
      'Content-Length': String(object.bytes),
      'Cache-Control': 'private',
    });
    if (req.method === 'HEAD') {
      discard(object);
      res.end();
      return true;
    }
    if (Buffer.isBuffer(object.body)) res.end(object.body);
    else await pipeline(object.body, res);
    return true;
  };
}

function discard(object: ImageObject): void {
  if (!Buffer.isBuffer(object.body)) object.body.destroy();
}

function notFound(res: ServerResponse): true {
  return send(res, 404, 'No such image');
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): true {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
  return true;
}

/**
 * The content type from a file's first bytes: derivatives are JPEG, PNG or WebP, the master is
 * DICOM Part 10 ("DICM" after the 128-byte preamble). Unknown bytes are never labelled as images.
 */
export function sniffContentType(head: Buffer): string {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (head.length >= 132 && head.toString('latin1', 128, 132) === 'DICM') return 'application/dicom';
  return 'application/octet-stream';
}

/**
 * A folder laid out like the object store's keys: `<root>/<image-uuid>/<variant>` (no extension;
 * the type is read from the bytes). For tests and for a local cache.
 */
export function folderImageSource(root: string): ImageSource {
  const base = resolve(root);
  return {
    async open(imageId, variant) {
      // The route already checked both; a source must not trust its caller with paths either.
      if (!uuidPattern.test(imageId) || !(imageVariants as readonly string[]).includes(variant)) return null;
      const file = join(base, imageId, variant);
      const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
        throw error;
      });
      if (!info?.isFile()) return null;
      const handle = await open(file, 'r');
      try {
        const head = Buffer.alloc(Math.min(132, info.size));
        await handle.read(head, 0, head.length, 0);
        return { body: handle.createReadStream({ start: 0, autoClose: true }), contentType: sniffContentType(head), bytes: info.size };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },
  };
}
