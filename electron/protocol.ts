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

/**
 * Main's own routes on `cusp://app` (image bytes under /img/, shared PDFs under /shares/ …), the
 * same handlers as under `cusp serve` (see routes.ts). Resolves null for a path that is not one of
 * them.
 */
export type RouteRequestHandler = (request: Request) => Promise<Response | null>;

export interface AppProtocolOptions {
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  /** Main's routes, asked first; without them /img/ answers 404. */
  routes?: RouteRequestHandler;
}

/**
 * The handler behind `protocol.handle('cusp', …)`. It serves exactly what `cusp serve` serves
 * (main/server/static.ts): main's routes first, then the built renderer with the app's CSP,
 * index.html for client-side routes such as /consult, 403 for paths that leave the renderer folder.
 * /img/ never falls back to index.html.
 */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    if (url.protocol !== `${appScheme}:` || url.host !== appHost) return status(404);
    const routed = await options.routes?.(request);
    if (routed) return routed;
    if (request.method !== 'GET' && request.method !== 'HEAD') return status(405, { Allow: 'GET, HEAD' });
    if (url.pathname.startsWith('/img/')) return status(404);

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
