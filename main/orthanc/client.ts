import { createHash } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import { silentLogger, type Logger } from '../app/log.js';

/**
 * Orthanc (1.10) answers `Keep-Alive: timeout=1`; fetch's default agent takes a 1 s safety margin
 * off that hint and so closed every connection after one call: a TCP connect per request, about
 * 8 ms of main-thread time per image in an ingest burst. This agent keeps idle connections 0.9 s.
 */
const orthancAgent = new Agent({ keepAliveTimeoutThreshold: 100 });
// undici's own fetch (what Node's global fetch is), typed by undici: the same objects at run time.
const keepAliveFetch = ((input: string, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: orthancAgent })) as unknown as typeof fetch;

/**
 * The REST client of the local Orthanc (the DICOM server the X-ray units send to).
 *
 * Failure semantics, which the follower and the pipeline rely on:
 * - connection errors, timeouts and 5xx are retried with exponential backoff and jitter, then
 *   surface as `OrthancUnreachableError` (connection, timeout) or `OrthancHttpError` (5xx);
 * - 401/403 → `OrthancAuthError` at once (retrying a wrong password only locks accounts);
 * - 404 → `OrthancNotFoundError` at once (the instance was deleted or Orthanc was reset);
 * - other 4xx → `OrthancHttpError` at once;
 * - a reply that is not what Orthanc documents → `OrthancProtocolError` (never retried).
 *
 * Only methods, paths (Orthanc ids, which are hashes) and status codes are logged — never a
 * response body: simplified tags carry patient names and birth dates.
 */

export type OrthancErrorKind = 'unreachable' | 'auth' | 'not-found' | 'http' | 'protocol';

export class OrthancError extends Error {
  readonly kind: OrthancErrorKind;
  /** HTTP status, when Orthanc answered. */
  readonly status: number | undefined;
  constructor(kind: OrthancErrorKind, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'OrthancError';
    this.kind = kind;
    this.status = options.status;
  }
}
export class OrthancUnreachableError extends OrthancError {
  constructor(message: string, cause?: unknown) {
    super('unreachable', message, { cause });
    this.name = 'OrthancUnreachableError';
  }
}
export class OrthancAuthError extends OrthancError {
  constructor(message: string, status: number) {
    super('auth', message, { status });
    this.name = 'OrthancAuthError';
  }
}
export class OrthancNotFoundError extends OrthancError {
  constructor(message: string) {
    super('not-found', message, { status: 404 });
    this.name = 'OrthancNotFoundError';
  }
}
export class OrthancHttpError extends OrthancError {
  constructor(message: string, status: number) {
    super('http', message, { status });
    this.name = 'OrthancHttpError';
  }
}
export class OrthancProtocolError extends OrthancError {
  constructor(message: string, cause?: unknown) {
    super('protocol', message, { cause });
    this.name = 'OrthancProtocolError';
  }
}

/** True for failures worth waiting out (Orthanc down, restarting or overloaded). */
export function isTransientOrthancError(error: unknown): boolean {
  return error instanceof OrthancError && (error.kind === 'unreachable' || (error.kind === 'http' && (error.status ?? 0) >= 500));
}

export const systemSchema = z.looseObject({
  Name: z.string(),
  Version: z.string(),
  ApiVersion: z.number().int().optional(),
  DatabaseVersion: z.number().int(),
  DicomAet: z.string(),
  DicomPort: z.number().int(),
  DatabaseBackendPlugin: z.string().nullable().optional(),
});
export type OrthancSystem = z.infer<typeof systemSchema>;

export const changeSchema = z.object({
  ChangeType: z.string(),
  Date: z.string(),
  ID: z.string(),
  Path: z.string(),
  ResourceType: z.string(),
  Seq: z.number().int().nonnegative(),
});
export type OrthancChange = z.infer<typeof changeSchema>;

export const changesSchema = z.object({
  Changes: z.array(changeSchema),
  Done: z.boolean(),
  /** The last sequence number returned, or — when nothing is returned — the last one Orthanc has. */
  Last: z.number().int().nonnegative(),
});
export type OrthancChanges = z.infer<typeof changesSchema>;

export const instanceSchema = z.looseObject({
  ID: z.string(),
  Type: z.literal('Instance'),
  FileSize: z.number().int().nonnegative(),
  FileUuid: z.string().optional(),
  IndexInSeries: z.number().int().nullable().optional(),
  ParentSeries: z.string(),
  MainDicomTags: z.looseObject({ SOPInstanceUID: z.string().optional(), InstanceNumber: z.string().optional() }),
});
export type OrthancInstance = z.infer<typeof instanceSchema>;

/** Orthanc's simplified tags: keyword → string, or arrays of nested objects for sequences. PHI inside. */
export const simplifiedTagsSchema = z.record(z.string(), z.unknown());
export type SimplifiedTags = z.infer<typeof simplifiedTagsSchema>;

/** A string tag from simplified tags (trimmed), or undefined when absent, empty or not a string. */
export function tagString(tags: SimplifiedTags, keyword: string): string | undefined {
  const value = tags[keyword];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** What Orthanc records about how an instance arrived (RemoteAET, CalledAET, TransferSyntax, …). */
export const instanceMetadataSchema = z.record(z.string(), z.string());
export type InstanceMetadata = z.infer<typeof instanceMetadataSchema>;

const idListSchema = z.array(z.string());

export interface OrthancClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8042. Credentials in the URL are used and stripped. */
  url: string;
  username?: string;
  password?: string;
  /** Per-request timeout for JSON calls. Default 10 s. */
  timeoutMs?: number;
  /** Per-request timeout for downloading a DICOM file. Default 120 s. */
  fileTimeoutMs?: number;
  /** Retries after the first attempt, for transient failures. Default 4. */
  retries?: number;
  /** Backoff: attempt n waits between cap/2 and cap, cap = min(maxMs, baseMs·2ⁿ). Defaults 200 ms, 5 s. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Largest DICOM file accepted. Default 1 GiB (a CBCT volume as one multi-frame instance fits). */
  maxFileBytes?: number;
  log?: Logger;
  /** For tests. */
  fetch?: typeof fetch;
}

/** Per call: an abort signal (shutdown) that also stops retries. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface InstanceFile {
  bytes: Buffer;
  sha256: string;
}

export class OrthancClient {
  readonly baseUrl: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly fileTimeoutMs: number;
  private readonly retries: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly maxFileBytes: number;
  private readonly log: Logger;
  private readonly fetchImpl: typeof fetch;

  constructor(options: OrthancClientOptions) {
    const url = new URL(options.url);
    const username = options.username ?? (decodeURIComponent(url.username) || undefined);
    const password = options.password ?? (decodeURIComponent(url.password) || undefined);
    url.username = '';
    url.password = '';
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.authorization =
      username !== undefined ? 'Basic ' + Buffer.from(`${username}:${password ?? ''}`).toString('base64') : undefined;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fileTimeoutMs = options.fileTimeoutMs ?? 120_000;
    this.retries = options.retries ?? 4;
    this.baseMs = options.backoff?.baseMs ?? 200;
    this.maxMs = options.backoff?.maxMs ?? 5000;
    this.maxFileBytes = options.maxFileBytes ?? 1024 ** 3;
    this.log = options.log ?? silentLogger;
    this.fetchImpl = options.fetch ?? keepAliveFetch;
  }

  system(options?: CallOptions): Promise<OrthancSystem> {
    return this.getJson('/system', systemSchema, options);
  }

  /** One page of the change log after `since`. Deleted resources leave gaps in `Seq`. */
  changes(since: number, limit: number, options?: CallOptions): Promise<OrthancChanges> {
    return this.getJson(`/changes?since=${since}&limit=${limit}`, changesSchema, options);
  }

  /** The sequence number of the newest change Orthanc has (0 for an empty Orthanc). */
  async lastChangeSeq(options?: CallOptions): Promise<number> {
    return (await this.getJson('/changes?last', changesSchema, options)).Last;
  }

  async instance(id: string, options?: CallOptions): Promise<OrthancInstance> {
    return this.getJson(`/instances/${encodeId(id)}`, instanceSchema, options);
  }

  /** The instance's tags by keyword. Contains patient names: never log the result. */
  async simplifiedTags(id: string, options?: CallOptions): Promise<SimplifiedTags> {
    return this.getJson(`/instances/${encodeId(id)}/simplified-tags`, simplifiedTagsSchema, options);
  }

  async instanceMetadata(id: string, options?: CallOptions): Promise<InstanceMetadata> {
    return this.getJson(`/instances/${encodeId(id)}/metadata?expand`, instanceMetadataSchema, options);
  }

  /** The DICOM file as Orthanc stored it, with its sha256; refused beyond `maxFileBytes`. */
  async instanceFile(id: string, options?: CallOptions): Promise<InstanceFile> {
    const path = `/instances/${encodeId(id)}/file`;
    return this.request('GET', path, { ...options, timeoutMs: this.fileTimeoutMs }, (response) =>
      readCapped(response, this.maxFileBytes, path),
    );
  }

  /** Deletes an instance; 'absent' when it was already gone (a retried delete, a purge run twice). */
  async deleteInstance(id: string, options?: CallOptions): Promise<'deleted' | 'absent'> {
    try {
      await this.request('DELETE', `/instances/${encodeId(id)}`, options ?? {}, async (r) => void (await r.arrayBuffer()));
      return 'deleted';
    } catch (error) {
      if (error instanceof OrthancNotFoundError) return 'absent';
      throw error;
    }
  }

  /** Instance ids in Orthanc's index order, a page at a time (for rescans). */
  instances(page: { since: number; limit: number }, options?: CallOptions): Promise<string[]> {
    return this.getJson(`/instances?since=${page.since}&limit=${page.limit}`, idListSchema, options);
  }

  patients(options?: CallOptions): Promise<string[]> {
    return this.getJson('/patients', idListSchema, options);
  }

  studies(options?: CallOptions): Promise<string[]> {
    return this.getJson('/studies', idListSchema, options);
  }

  private getJson<T>(path: string, schema: z.ZodType<T>, options: CallOptions = {}): Promise<T> {
    return this.request('GET', path, options, async (response) => {
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        if (isNetworkError(error)) throw error;
        throw new OrthancProtocolError(`Orthanc answered GET ${stripQuery(path)} with something that is not JSON`, error);
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const where = parsed.error.issues[0]?.path.join('.') || 'body';
        throw new OrthancProtocolError(`Orthanc's reply to GET ${stripQuery(path)} is not as expected (at ${where})`);
      }
      return parsed.data;
    });
  }

  /**
   * One call with retries. `read` consumes the body inside the attempt, so a connection that
   * breaks mid-body is retried like one that never connected.
   */
  private async request<T>(
    method: string,
    path: string,
    options: CallOptions & { timeoutMs?: number },
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const label = `${method} ${stripQuery(path)}`;
    for (let attempt = 0; ; attempt += 1) {
      options.signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let failure: OrthancError;
      try {
        const headers: Record<string, string> = {};
        if (this.authorization) headers.authorization = this.authorization;
        // Uncompressed answers: gzip of JSON costs CPU on both sides and saves nothing on loopback
        // or a LAN; DICOM bytes gain little from it, and their declared length must be the real one.
        headers['accept-encoding'] = 'identity';
        const response = await this.fetchImpl(this.baseUrl + path, { method, headers, signal });
        if (response.ok) {
          const result = await read(response);
          this.log.debug({ method, path: stripQuery(path), status: response.status, attempt: attempt + 1 }, 'Orthanc call');
          return result;
        }
        await response.body?.cancel().catch(() => undefined);
        const status = response.status;
        if (status === 401 || status === 403) {
          throw new OrthancAuthError(`Orthanc refused the credentials (HTTP ${status}) for ${label}`, status);
        }
        if (status === 404) throw new OrthancNotFoundError(`Orthanc has no ${stripQuery(path)}`);
        if (status < 500) throw new OrthancHttpError(`Orthanc answered HTTP ${status} to ${label}`, status);
        failure = new OrthancHttpError(`Orthanc answered HTTP ${status} to ${label}`, status);
      } catch (error) {
        if (error instanceof OrthancError) throw error;
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        failure = timeout.aborted
          ? new OrthancUnreachableError(`Orthanc did not answer ${label} within ${timeoutMs} ms`, error)
          : new OrthancUnreachableError(`Orthanc at ${this.baseUrl} cannot be reached (${describeCause(error)})`, error);
      }
      if (attempt >= this.retries) throw failure;
      const delay = this.backoffDelay(attempt);
      this.log.warn({ method, path: stripQuery(path), status: failure.status, attempt: attempt + 1, delayMs: delay }, 'Orthanc call failed, retrying');
      await sleep(delay, options.signal);
    }
  }

  private backoffDelay(attempt: number): number {
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** attempt);
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }
}

/** Orthanc ids are hex groups joined by dashes; anything else is refused before it reaches a URL. */
function encodeId(id: string): string {
  if (!/^[0-9a-f-]{8,64}$/i.test(id)) throw new OrthancProtocolError(`Not an Orthanc id: ${JSON.stringify(id).slice(0, 70)}`);
  return id;
}

function stripQuery(path: string): string {
  const i = path.indexOf('?');
  return i < 0 ? path : path.slice(0, i);
}

function isNetworkError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError' || error.name === 'TypeError');
}

/** A body shorter than its Content-Length: the connection broke, so the call is retried. */
class TruncatedBodyError extends Error {
  override readonly name = 'TruncatedBodyError';
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

async function readCapped(response: Response, maxBytes: number, path: string): Promise<InstanceFile> {
  const encoding = response.headers.get('content-encoding');
  const declared = !encoding || encoding === 'identity' ? Number(response.headers.get('content-length') ?? NaN) : NaN;
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new OrthancProtocolError(`${path} is ${declared} bytes, more than the ${maxBytes} allowed`);
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new OrthancProtocolError(`${path} is more than the ${maxBytes} bytes allowed`);
      }
      const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      hash.update(chunk);
      chunks.push(chunk);
    }
  }
  if (Number.isFinite(declared) && declared !== total) {
    throw new TruncatedBodyError(`${path} ended after ${total} of ${declared} bytes`);
  }
  return { bytes: Buffer.concat(chunks, total), sha256: hash.digest('hex') };
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
