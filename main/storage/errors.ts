/**
 * The storage layer's one error type. Every backend maps its provider's failures onto these
 * stable codes and keeps the provider's own error as `cause` (for the log, never for the user).
 *
 * - `NotFound`: no object under that key (or no such bucket/container).
 * - `AccessDenied`: the credentials are wrong, expired, or lack the permission.
 * - `Unavailable`: the store cannot be reached now (network, 5xx, throttling); retry later.
 * - `IntegrityError`: the bytes are not what was written (checksum mismatch, failed decryption,
 *   wrong key); never retried blindly.
 * - `Conflict`: the object exists and the write asked not to replace it.
 * - `InvalidArgument`: a bad key, range, tier or option; the caller's mistake, not the store's.
 * - `Archived`: the object is in an archive tier and must be rehydrated first (requested already).
 * - `ResidencyViolation`: the practice policy forbids this store's region.
 */
export const storageErrorCodes = [
  'NotFound',
  'AccessDenied',
  'Unavailable',
  'IntegrityError',
  'Conflict',
  'InvalidArgument',
  'Archived',
  'ResidencyViolation',
] as const;
export type StorageErrorCode = (typeof storageErrorCodes)[number];

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /** The object key concerned, when there is one (opaque: never a name). */
  readonly key?: string;
  constructor(code: StorageErrorCode, message: string, options: { cause?: unknown; key?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    if (options.key !== undefined) this.key = options.key;
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}

/** Node's network error codes that mean "the store is not reachable now". */
const networkCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'TimeoutError', 'RequestTimeout',
]);

/** True when an error (or its cause chain) is a network failure rather than an answer. */
export function isNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code ?? (e as { name?: unknown }).name;
    if (typeof code === 'string' && networkCodes.has(code)) return true;
    const errors = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.some((inner) => isNetworkError(inner))) return true;
  }
  return false;
}
