import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { contentSecurityPolicy } from '../app/security.js';

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** A file of the built renderer, ready to send, with the headers every Cusp page carries. */
export interface StaticFile {
  path: string;
  size: number;
  headers: Record<string, string>;
}

/**
 * Maps a URL path to a file of the built renderer, for `cusp serve` and the `cusp://` protocol alike:
 * - 'forbidden' when the path leaves `root` (`..`, encoded or not) or cannot be decoded;
 * - index.html for unknown paths without an extension (client-side routes like /consult);
 * - null when nothing is there.
 */
export async function resolveStaticFile(root: string, pathname: string): Promise<StaticFile | 'forbidden' | null> {
  const base = resolve(root);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 'forbidden';
  }
  if (decoded.includes('\0')) return 'forbidden';
  const relative = normalize(decoded).replace(/^([/\\])+/, '');
  let file = join(base, relative);
  if (!file.startsWith(base + sep) && file !== base) return 'forbidden';
  let info = await stat(file).catch(() => null);
  if (!info?.isFile() && !extname(relative)) {
    file = join(base, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) return null;
  return {
    path: file,
    size: info.size,
    headers: {
      'Content-Type': mimeTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      'Content-Security-Policy': contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      // Hashed bundles never change; index.html and the rest are checked on every load.
      'Cache-Control': file.includes(`${sep}assets${sep}`) ? 'private, max-age=31536000, immutable' : 'no-cache',
    },
  };
}
