import type { ErrorCode } from '../../contract/index.js';

/**
 * The one error type handlers throw on purpose. Its code and message cross the contract;
 * the cause (a driver error, an SDK error) stays in main and goes to the log.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} was not found`);
export const conflict = (message: string) => new AppError('CONFLICT', message);
export const forbidden = (message: string) => new AppError('FORBIDDEN', message);
export const invalidInput = (message: string) => new AppError('INVALID_INPUT', message);
export const unavailable = (message: string, cause?: unknown) => new AppError('UNAVAILABLE', message, { cause });
