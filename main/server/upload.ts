import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { roleGrants } from '../../contract/access.js';
import type { UploadResult } from '../../contract/index.js';
import type { CallContext } from '../app/context.js';
import type { Logger } from '../app/log.js';
import type { Services } from '../app/services.js';
import { appendAudit } from '../db/repositories/audit.js';
import { JobQueue, orderedId } from '../ingest/queue.js';
import { ImportRunner, uploadsDirOf } from '../ingest/uploads.js';
import type { RouteHandler } from './http.js';

/**
 * `POST /upload/<batch-uuid>?name=<file name>`: one dropped file per request, the body is the
 * file (`Content-Type: application/octet-stream` or `application/dicom`: not a type a form on
 * another site can send without a preflight, which is never answered). The token check of
 * startHttpServer has already run; the caller must be signed in with the clinical role.
 *
 * The body streams to `<data>/uploads/<batch>/<file-id>/<name>.part` (never held in memory),
 * stops at `maxFileBytes` (413), is refused when it is not DICOM (415, `NOT_DICOM`: a JPEG photo,
 * a PDF…), then is renamed and handed to `enqueue` — the import queue of `cusp import`.
 * Logs carry the batch, job id and byte counts, never the file name (it may name the patient).
 */
export interface UploadRouteOptions {
  dataDir: string;
  /** Creates the import job for a stored file (IngestService queue `enqueueFiles`) and returns its id. */
  enqueue(path: string, ctx: CallContext): Promise<string>;
  log: Logger;
  /** Largest accepted file. Default 512 MiB (a CBCT exported as one file can be large). */
  maxFileBytes?: number;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a file that is clearly not DICOM is, by its first bytes (for the message). */
function knownOtherFormat(head: Buffer): string | null {
  const starts = (bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts([0xff, 0xd8, 0xff])) return 'a JPEG image';
  if (starts([0x89, 0x50, 0x4e, 0x47])) return 'a PNG image';
  if (starts([0x47, 0x49, 0x46, 0x38])) return 'a GIF image';
  if (starts([0x25, 0x50, 0x44, 0x46])) return 'a PDF document';
  if (starts([0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive';
  if (starts([0x49, 0x49, 0x2a, 0x00]) || starts([0x4d, 0x4d, 0x00, 0x2a])) return 'a TIFF image';
  if (starts([0x42, 0x4d])) return 'a BMP image';
  return null;
}

/**
 * DICOM Part 10 has "DICM" after a 128-byte preamble. Some modalities write the data set alone
 * (no preamble): it then starts with a little-endian tag of group 0002 or 0008. Anything else is
 * refused here; a DICOM file that is damaged further on goes to the quarantine with its reason.
 */
export function looksLikeDicom(head: Buffer): boolean {
  if (head.length >= 132 && head.toString('latin1', 128, 132) === 'DICM') return true;
  if (head.length >= 8 && knownOtherFormat(head) === null) {
    const group = head.readUInt16LE(0);
    return group === 0x0002 || group === 0x0008;
  }
  return false;
}

/** A file name safe to keep on disk: no folders, no control characters, not too long. */
export function safeFileName(raw: string | null): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').replace(/^\.+/, '').trim().slice(0, 120);
  return clean || 'file.dcm';
}

function reply(res: ServerResponse, status: number, body: UploadResult): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
  return true;
}

class TooLarge extends Error {}

export function createUploadRoute(options: UploadRouteOptions): RouteHandler {
  const limit = options.maxFileBytes ?? 512 * 1024 * 1024;
  return async (req: IncomingMessage, res: ServerResponse, ctx: CallContext) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/upload\/([^/]+)$/.exec(url.pathname);
    if (!match) return false;
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return true;
    }
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/octet-stream') && !type.startsWith('application/dicom')) {
      return reply(res, 415, { ok: false, error: { code: 'INVALID_INPUT', message: 'Send the file as application/octet-stream' } });
    }
    if (!ctx.user || !roleGrants(ctx.user.role, 'clinical')) {
      req.resume();
      return reply(res, 403, { ok: false, error: { code: 'FORBIDDEN', message: 'Importing images needs a clinical role' } });
    }
    const batch = match[1]!.toLowerCase();
    if (!uuidPattern.test(batch)) return reply(res, 400, { ok: false, error: { code: 'INVALID_INPUT', message: 'The batch id must be a UUID' } });
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return reply(res, 413, { ok: false, error: { code: 'TOO_LARGE', message: `The file is larger than the limit of ${Math.round(limit / 1024 / 1024)} MB` } });
    }

    const folder = join(uploadsDirOf(options.dataDir), batch, orderedId());
    const final = join(folder, safeFileName(url.searchParams.get('name')));
    const partial = `${final}.part`;
    await mkdir(folder, { recursive: true });
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback(size > limit ? new TooLarge() : null, chunk);
      },
    });
    try {
      await pipeline(req, counter, createWriteStream(partial, { flags: 'wx' }));
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      if (error instanceof TooLarge) {
        options.log.warn({ batch, bytes: size }, 'upload refused: too large');
        return reply(res, 413, { ok: false, error: { code: 'TOO_LARGE', message: `The file is larger than the limit of ${Math.round(limit / 1024 / 1024)} MB` } });
      }
      options.log.warn({ batch, err: error instanceof Error ? error.message : String(error) }, 'upload interrupted');
      if (!res.headersSent && !res.destroyed) return reply(res, 400, { ok: false, error: { code: 'INVALID_INPUT', message: 'The upload was interrupted' } });
      return true;
    }

    const head = Buffer.alloc(132);
    const handle = await open(partial, 'r');
    let read = 0;
    try {
      ({ bytesRead: read } = await handle.read(head, 0, 132, 0));
    } finally {
      await handle.close();
    }
    if (!looksLikeDicom(head.subarray(0, read))) {
      await rm(folder, { recursive: true, force: true });
      const what = knownOtherFormat(head.subarray(0, read));
      options.log.info({ batch, bytes: size }, 'upload refused: not DICOM');
      return reply(res, 415, {
        ok: false,
        error: { code: 'NOT_DICOM', message: what ? `This is ${what}, not a DICOM file` : 'This is not a DICOM file' },
      });
    }
    await rename(partial, final);
    let jobId: string;
    try {
      jobId = await options.enqueue(final, ctx);
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      options.log.error({ batch, err: error instanceof Error ? error.message : String(error) }, 'upload could not be queued');
      return reply(res, 503, { ok: false, error: { code: 'UNAVAILABLE', message: 'The import queue is not available' } });
    }
    options.log.info({ batch, jobId, bytes: size }, 'file uploaded for import');
    return reply(res, 201, { ok: true, jobId });
  };
}

/**
 * The upload route over the app's services, and the runner that imports what arrives: each file
 * becomes one import job (audited as `image.upload` with its job id) and the runner is kicked.
 * `cusp serve` mounts the route at `/upload/` and closes the runner on exit.
 */
export function createAppUploads(services: Services, options: { maxFileBytes?: number } = {}): { route: RouteHandler; runner: ImportRunner } {
  const runner = new ImportRunner({
    db: () => services.database(),
    store: () => services.storage().backend,
    dataDir: services.dataDir,
    log: services.log,
  });
  runner.start();
  const route = createUploadRoute({
    dataDir: services.dataDir,
    log: services.log.child({ component: 'upload' }),
    ...(options.maxFileBytes ? { maxFileBytes: options.maxFileBytes } : {}),
    async enqueue(path, ctx) {
      const [jobId] = await new JobQueue(services.database()).enqueueFiles([path]);
      await appendAudit(services.database().knex, {
        practiceId: ctx.user?.practiceId ?? null,
        userId: ctx.user?.id ?? null,
        workstation: ctx.workstation,
        action: 'image.upload',
        detail: { jobId },
      });
      void runner.kick().catch((error: unknown) => services.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'import runner did not start'));
      return jobId!;
    },
  });
  return { route, runner };
}
