import { z } from 'zod';
import { defineMethods } from '../define.js';

export const languageSchema = z.enum(['fr', 'en']);
export type Language = z.infer<typeof languageSchema>;

const componentState = z.enum(['ok', 'unconfigured', 'unavailable']);
export const componentHealthSchema = z.object({
  state: componentState,
  /** What a person can do about it, when not ok. */
  message: z.string().optional(),
});
export type ComponentHealth = z.infer<typeof componentHealthSchema>;

export const healthSchema = z.object({
  /** ok: everything configured answers; degraded: something is unavailable but work is queued. */
  status: z.enum(['ok', 'degraded']),
  checkedAt: z.string(),
  database: componentHealthSchema,
  store: componentHealthSchema,
  orthanc: componentHealthSchema,
  ingest: z.object({
    queued: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    quarantined: z.number().int().nonnegative(),
    /** Objects written locally and waiting for the (unreachable) cloud store. */
    outbox: z.number().int().nonnegative(),
  }),
});
export type Health = z.infer<typeof healthSchema>;

export const appInfoSchema = z.object({
  name: z.literal('Cusp'),
  version: z.string(),
  dataDir: z.string(),
  /** Where things are configured; locations never include credentials. */
  database: z.object({ client: z.enum(['sqlite', 'postgres']), location: z.string() }),
  store: z.object({ backend: z.enum(['file', 's3', 'azure']), location: z.string() }),
  orthanc: z.object({ configured: z.boolean(), url: z.string().optional() }),
  language: languageSchema,
});
export type AppInfo = z.infer<typeof appInfoSchema>;

const empty = z.object({}).strict();

export const appMethods = defineMethods({
  'app.info': { input: empty, output: appInfoSchema, access: 'public' },
  'app.health': { input: empty, output: healthSchema, access: 'public' },
});
