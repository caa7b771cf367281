import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { isStorageError } from './errors.js';
import { verifySignedObjectPath } from './file.js';
import { discard, type ObjectStore } from './store.js';

/**
 * Serves the file store's signed URLs: `GET /objects/<key>?expires=…&sig=…` (with a single
 * `Range: bytes=a-b` if asked). The signature is the authorization — this route is meant to be
 * registered ahead of the session-token check in `cusp serve` and behind `cusp://store/` in Electron.
 * Returns false for paths it does not own.
 */
export async function serveSignedObject(
  store: ObjectStore,
  signingKey: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const url = req.url ?? '';
  if (!url.startsWith('/objects/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return true;
  }
  try {
    const key = verifySignedObjectPath(signingKey, url);
    const range = parseRange(req.headers.range);
    const { body, info, range: served } = await store.get(key, range ? { range } : {});
    const headers: Record<string, string | number> = {
      'content-type': info.contentType ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
      'cache-control': 'private, max-age=60',
      'content-length': served ? served.end - served.start + 1 : info.size,
    };
    if (served) headers['content-range'] = `bytes ${served.start}-${served.end}/${served.size}`;
    res.writeHead(served ? 206 : 200, headers);
    if (req.method === 'HEAD') {
      discard(body);
      res.end();
    } else {
      await pipeline(body, res);
    }
  } catch (error) {
    const status = isStorageError(error, 'AccessDenied') ? 403
      : isStorageError(error, 'NotFound') ? 404
      : isStorageError(error, 'InvalidArgument') ? 416
      : isStorageError(error, 'Unavailable') ? 503 : 500;
    if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 500 ? 'Internal error' : (error as Error).message);
    else res.destroy();
  }
  return true;
}

function parseRange(header: string | undefined): { start: number; end?: number } | undefined {
  const match = header ? /^bytes=(\d+)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  return match[2] ? { start: Number(match[1]), end: Number(match[2]) } : { start: Number(match[1]) };
}
