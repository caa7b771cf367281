import { z } from 'zod';

/**
 * Stable error codes that cross the contract. The renderer decides what to show from the code;
 * the message is for people and never carries a stack trace or patient data.
 */
export const errorCodes = [
  'INVALID_INPUT', // the call's input failed its schema, or the method does not exist
  'NOT_FOUND', // the thing named does not exist (or is archived/deleted)
  'CONFLICT', // a stale edit (version mismatch), a double booking, a duplicate
  'FORBIDDEN', // the signed-in user's role does not allow this
  'UNAUTHENTICATED', // nobody is signed in on this workstation (or the session expired)
  'UNAVAILABLE', // a dependency (database, store, Orthanc) cannot be reached now; retry later
  'INTERNAL', // a bug: logged in main with a reference the user can quote
] as const;

export const errorCodeSchema = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const callErrorSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
});
export type CallError = z.infer<typeof callErrorSchema>;

export type CallResult<T> = { ok: true; value: T } | { ok: false; error: CallError };

/** The shape every transport carries back; parsed on the client so a broken peer cannot confuse it. */
export const callResultSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: callErrorSchema }),
]);

/** Thrown by the typed client when a call returns `ok: false`. */
export class ContractError extends Error {
  readonly code: ErrorCode;
  constructor(error: CallError) {
    super(error.message);
    this.name = 'ContractError';
    this.code = error.code;
  }
}
