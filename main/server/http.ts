import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallContext } from '../app/context.js';
import type { Dispatch } from '../app/dispatcher.js';
import type { EventBus } from '../app/events.js';
import type { Logger } from '../app/log.js';
import { resolveStaticFile } from './static.js';

/** A route outside /rpc and /events, e.g. /img/ for image bytes. Return false to fall through. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, ctx: CallContext) => Promise<boolean> | boolean;

export interface HttpServerOptions {
  dispatch: Dispatch;
  events: EventBus;
  log: Logger;
  workstation: string;
  /** The built renderer; omitted in tests that only need the API. */
  staticDir?: string;
  port?: number;
  /** Defaults to 32 random bytes; every request must carry it (cookie or Bearer header). */
  token?: string;
  routes?: Record<string, RouteHandler>;
  /**
   * Routes answered without the per-run token or a session (the patient's `/share/<token>`
   * link): each checks its own credential. The Host check still applies.
   */
  publicRoutes?: Record<string, RouteHandler>;
  /** Establishes the user of a browser session (sign-in lands here in a later issue). */
  resolveUser?: (sessionId: string) => CallContext['user'];
}

export interface HttpServer {
  /** Open this URL in a browser: it sets the token cookie and redirects to the app. */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const tokenCookie = 'cusp_token';
const sessionCookie = 'cusp_session';
const maxBodyBytes = 1024 * 1024;

/**
 * The loopback HTTP transport of the contract (`cusp serve`, browser tests):
 * - listens on 127.0.0.1 only;
 * - every request needs the per-run token, as an HttpOnly SameSite=Strict cookie (set by
 *   opening the printed URL) or an `Authorization: Bearer` header; otherwise 401;
 * - the Host header must name this server, against DNS rebinding;
 * - POST /rpc takes `{method, input}` as JSON and answers the dispatcher's result;
 * - GET /events is a server-sent event stream of the contract's events;
 * - everything else is the built renderer (with the app's CSP), or a registered route.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token);
  const sseClients = new Set<ServerResponse>();
  let port = 0;

  const hasToken = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice(7) : readCookie(req, tokenCookie);
    if (!presented) return false;
    const bytes = Buffer.from(presented);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      options.log.error({ err: error, path: req.url?.split('?')[0] }, 'http request failed');
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'Internal error' } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      res.writeHead(421).end('Wrong host');
      return;
    }
    const url = new URL(req.url ?? '/', `http://${host}`);

    for (const [prefix, route] of Object.entries(options.publicRoutes ?? {})) {
      const anonymous: CallContext = { transport: 'http', workstation: options.workstation, sessionId: 'public', user: null };
      if (url.pathname.startsWith(prefix) && (await route(req, res, anonymous))) return;
    }

    // Opening the printed URL: trade the token in the query for a cookie, then drop it from the address bar.
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null && req.method === 'GET') {
      const bytes = Buffer.from(queryToken);
      if (bytes.length !== tokenBytes.length || !timingSafeEqual(bytes, tokenBytes)) {
        res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Invalid token');
        return;
      }
      url.searchParams.delete('token');
      // A browser that already has a session keeps it (and whoever is signed in to it): opening
      // the printed URL again, or /consult with the token, must not sign the front desk out.
      const cookies = [`${tokenCookie}=${token}; HttpOnly; SameSite=Strict; Path=/`];
      if (!readCookie(req, sessionCookie)) cookies.push(`${sessionCookie}=${randomUUID()}; HttpOnly; SameSite=Strict; Path=/`);
      res.writeHead(303, {
        'Set-Cookie': cookies,
        Location: url.pathname + url.search,
      });
      res.end();
      return;
    }

    if (!hasToken(req)) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer' });
      res.end('Missing or wrong token: open the URL that `cusp serve` printed');
      return;
    }

    const sessionId = readCookie(req, sessionCookie) ?? req.headers['x-cusp-session']?.toString() ?? 'bearer';
    const ctx: CallContext = {
      transport: 'http',
      workstation: options.workstation,
      sessionId,
      user: options.resolveUser?.(sessionId) ?? null,
    };

    if (url.pathname === '/rpc') {
      if (req.method !== 'POST') return void res.writeHead(405, { Allow: 'POST' }).end();
      // A JSON content type cannot be sent cross-origin without a preflight, which we never answer.
      if (!req.headers['content-type']?.startsWith('application/json')) {
        return void sendJson(res, 415, { ok: false, error: { code: 'INVALID_INPUT', message: 'Send application/json' } });
      }
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (error) {
        const message = error instanceof BodyTooLarge ? 'Request too large' : 'Body is not JSON';
        return void sendJson(res, 400, { ok: false, error: { code: 'INVALID_INPUT', message } });
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return void sendJson(res, 400, { ok: false, error: { code: 'INVALID_INPUT', message: 'Send {"method", "input"}' } });
      }
      const { method, input } = body as { method?: unknown; input?: unknown };
      return void sendJson(res, 200, await options.dispatch(method, input, ctx));
    }

    if (url.pathname === '/events') {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      sseClients.add(res);
      req.on('close', () => sseClients.delete(res));
      return;
    }

    for (const [prefix, route] of Object.entries(options.routes ?? {})) {
      if (url.pathname.startsWith(prefix) && (await route(req, res, ctx))) return;
    }

    if (req.method === 'GET' && options.staticDir) return serveStatic(options.staticDir, url.pathname, res);
    res.writeHead(404).end();
  }

  const unsubscribe = options.events.subscribe((name, payload) => {
    const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const client of sseClients) client.write(frame);
  });
  const heartbeat = setInterval(() => {
    for (const client of sseClients) client.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    async close() {
      unsubscribe();
      clearInterval(heartbeat);
      for (const client of sseClients) client.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Without this, keep-alive sockets (and event streams just ended) hold close() for the
        // 5 s keep-alive timeout: Ctrl+C on `cusp serve` and every test teardown would wait.
        server.closeAllConnections();
      });
    },
  };
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Serves the built renderer (see resolveStaticFile for what maps where). */
async function serveStatic(root: string, pathname: string, res: ServerResponse): Promise<void> {
  const file = await resolveStaticFile(root, pathname);
  if (file === 'forbidden') return void res.writeHead(403).end();
  if (!file) return void res.writeHead(404).end();
  res.writeHead(200, file.headers);
  createReadStream(file.path).pipe(res);
}
