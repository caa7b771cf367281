import type { z } from 'zod';
import type { Access } from './access.js';

/** One method of the contract: what goes in, what comes out, and who may call it. */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
  readonly access: Access;
}

/** Identity helper that keeps the literal types of a method table. */
export function defineMethods<const T extends Record<string, MethodSpec>>(table: T): T {
  return table;
}

/** Identity helper that keeps the literal types of an event table. */
export function defineEvents<const T extends Record<string, z.ZodType>>(table: T): T {
  return table;
}
