import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  isMethodName,
  methods,
  roleGrants,
  type CallResult,
  type MethodName,
  type MethodOutput,
  type ParsedInput,
} from '../../contract/index.js';
import type { CallContext } from './context.js';
import { AppError } from './errors.js';
import type { Logger } from './log.js';

/** One function per contract method; a missing method is a compile error. */
export type Handlers = {
  [M in MethodName]: (input: ParsedInput<M>, ctx: CallContext) => Promise<MethodOutput<M>> | MethodOutput<M>;
};

export type Dispatch = (method: unknown, input: unknown, ctx: CallContext) => Promise<CallResult<unknown>>;

export interface DispatcherOptions {
  log: Logger;
  /** Called when a caller is refused for its role, so the attempt can be audited. */
  onForbidden?: (method: MethodName, ctx: CallContext) => Promise<void> | void;
}

/** Turns zod issues into one line that says where and what, without echoing the values sent. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'input'}: ${issue.message}`)
    .join('; ');
}

/**
 * The single entry point of every transport. It checks, in order: the method exists (own keys
 * only, so `__proto__` and `constructor` are unknown), the caller may use it, the input parses;
 * then runs the handler and checks its output against the contract (a handler that returns
 * extra fields has them stripped, one that returns a wrong shape is an INTERNAL error).
 * No stack trace or driver message ever leaves here.
 */
export function createDispatcher(handlers: Handlers, options: DispatcherOptions): Dispatch {
  const { log } = options;
  return async (name, input, ctx) => {
    if (!isMethodName(name)) {
      return fail('INVALID_INPUT', `Unknown method ${JSON.stringify(String(name)).slice(0, 80)}`);
    }
    const method: MethodName = name;
    const spec = methods[method];
    if (spec.access !== 'public') {
      if (!ctx.user) return fail('UNAUTHENTICATED', 'Sign in to continue');
      if (!roleGrants(ctx.user.role, spec.access)) {
        log.warn({ method, userId: ctx.user.id, role: ctx.user.role }, 'call refused for role');
        await options.onForbidden?.(method, ctx);
        return fail('FORBIDDEN', `Your role (${ctx.user.role}) does not allow ${method}`);
      }
    }
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) return fail('INVALID_INPUT', describeIssues(parsed.error));
    try {
      const handler = handlers[method] as (input: unknown, ctx: CallContext) => unknown;
      const value = await handler(parsed.data, ctx);
      const output = spec.output.safeParse(value);
      if (!output.success) {
        const ref = randomUUID().slice(0, 8);
        log.error({ method, ref, issues: describeIssues(output.error) }, 'handler output breaks the contract');
        return fail('INTERNAL', `Internal error (reference ${ref})`);
      }
      return { ok: true, value: output.data };
    } catch (error) {
      if (error instanceof AppError) {
        if (error.cause) log.warn({ method, code: error.code, cause: String(error.cause) }, error.message);
        return fail(error.code, error.message);
      }
      const ref = randomUUID().slice(0, 8);
      log.error({ method, ref, err: error }, 'handler failed');
      return fail('INTERNAL', `Internal error (reference ${ref})`);
    }
  };
}

function fail(code: AppError['code'], message: string): CallResult<never> {
  return { ok: false, error: { code, message } };
}
