import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { CallContext } from '../main/app/context.js';
import type { RouteHandler } from '../main/server/http.js';

/** Statuses whose response has no body (fetch's Response refuses one). */
const bodiless = new Set([101, 204, 205, 304]);

/**
 * The response side of a Node route, collecting what it writes: the head as soon as it is sent,
 * then the body as a stream. Only what main's routes use is implemented.
 */
class CollectedResponse extends PassThrough {
  statusCode = 200;
  headersSent = false;
  private readonly head: Record<string, string | string[]> = {};
  private announce!: () => void;
  readonly headReady = new Promise<void>((resolve) => (this.announce = resolve));

  setHeader(name: string, value: string | number | readonly string[]) {
    this.head[name.toLowerCase()] = Array.isArray(value) ? [...(value as string[])] : String(value);
    return this;
  }
  getHeader(name: string) {
    return this.head[name.toLowerCase()];
  }
  removeHeader(name: string) {
    delete this.head[name.toLowerCase()];
  }
  writeHead(status: number, headers: Record<string, string | number | readonly string[]> = {}) {
    this.statusCode = status;
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value);
    this.flushHead();
    return this;
  }
  override write(chunk: unknown, ...rest: never[]): boolean {
    this.flushHead();
    return super.write(chunk as Buffer, ...rest);
  }
  override end(...args: never[]): this {
    this.flushHead();
    return super.end(...args);
  }
  headers(): Headers {
    const out = new Headers();
    for (const [name, value] of Object.entries(this.head)) {
      for (const one of Array.isArray(value) ? value : [value]) out.append(name, one);
    }
    return out;
  }
  private flushHead() {
    if (this.headersSent) return;
    this.headersSent = true;
    this.announce();
  }
}

/**
 * Answers a `cusp://` request with one of main's HTTP routes (the handlers `cusp serve` mounts for
 * /img/, /shares/ …), so the desktop app and the browser get the same bytes, checks and audit
 * records from the same code. `ctx` is the caller as the shell established it. Resolves null when
 * the route does not handle the path (the caller answers 404).
 */
export async function respondWithRoute(route: RouteHandler, request: Request, ctx: CallContext): Promise<Response | null> {
  const url = new URL(request.url);
  const body = request.body ? Readable.fromWeb(request.body as unknown as NodeReadableStream) : Readable.from([]);
  // The request body as the Readable a Node route reads, with the fields routes look at.
  const req = Object.assign(body, {
    method: request.method,
    url: url.pathname + url.search,
    headers: headersOf(request),
  }) as unknown as IncomingMessage;
  const res = new CollectedResponse();
  const handled = Promise.resolve(route(req, res as unknown as ServerResponse, ctx));
  let first: 'head' | 'done' | 'declined';
  try {
    first = await Promise.race([res.headReady.then(() => 'head' as const), handled.then((done) => (done ? ('done' as const) : ('declined' as const)))]);
  } catch {
    // As `cusp serve` does: the route failed before answering; no detail leaves main.
    return new Response('Internal error', { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  if (first === 'declined' && !res.headersSent) return null;
  if (!res.headersSent) res.end();
  // A failure after the head was sent ends the body early; the route has logged it.
  handled.catch((error: unknown) => res.destroy(error instanceof Error ? error : new Error(String(error))));
  const noBody = request.method === 'HEAD' || bodiless.has(res.statusCode);
  if (noBody) res.resume();
  return new Response(noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream), { status: res.statusCode, headers: res.headers() });
}

function headersOf(request: Request): Record<string, string> {
  const out: Record<string, string> = {};
  request.headers.forEach((value, name) => (out[name.toLowerCase()] = value));
  return out;
}
