import { readFile } from 'node:fs/promises';
import type { CustomScheme } from 'electron';
import { resolveStaticFile } from '../main/server/static.js';
import { appHost, appScheme } from './config.js';

/**
 * `cusp://` must be registered as privileged before the app is ready: standard (real origin,
 * relative URLs, localStorage), secure (like https: no mixed content, secure-context APIs),
 * fetch (the WebAssembly codecs and the viewer fetch from it), streamed (large images).
 */
export const privilegedScheme: CustomScheme = {
  scheme: appScheme,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true },
};

/** Answers `cusp://app/img/…`: image bytes from main's cache or object store. */
export type ImageRequestHandler = (request: Request) => Promise<Response>;

export interface AppProtocolOptions {
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  /**
   * Image bytes, the same paths as `/img/` under `cusp serve`. Until main provides its image
   * route, `/img/` answers 404.
   */
  images?: ImageRequestHandler;
}

/**
 * The handler behind `protocol.handle('cusp', …)`. It serves exactly what `cusp serve` serves
 * (main/server/static.ts): the built renderer with the app's CSP, index.html for client-side
 * routes such as /consult, 403 for paths that leave the renderer folder; `/img/` goes to main.
 */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    if (url.protocol !== `${appScheme}:` || url.host !== appHost) return status(404);
    if (request.method !== 'GET' && request.method !== 'HEAD') return status(405, { Allow: 'GET, HEAD' });
    if (url.pathname.startsWith('/img/')) return options.images ? options.images(request) : status(404);

    const file = await resolveStaticFile(options.rendererDir, url.pathname);
    if (file === 'forbidden') return status(403);
    if (!file) return status(404);
    const body = request.method === 'HEAD' ? null : await readFile(file.path);
    return new Response(body, { status: 200, headers: file.headers });
  };
}

function status(code: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: code, headers: { 'X-Content-Type-Options': 'nosniff', ...headers } });
}
