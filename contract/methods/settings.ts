import { z } from 'zod';
import { idSchema } from '../common.js';
import { defineMethods } from '../define.js';
import { providerSchema } from './schedule.js';

/** Practice settings an administrator changes from the Settings screen (each change audited). */
export const operatoryCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(80),
    /** DICOM AE titles of the sensors in the room: 1–16 characters, no backslash or control characters. */
    aeTitles: z.array(z.string().trim().regex(/^[ -[\]-~]{1,16}$/, 'must be an AE title of 1–16 characters')).max(10).default([]),
  })
  .strict();

export const providerCreateSchema = z
  .object({
    displayName: z.string().trim().min(1).max(120),
    kind: providerSchema.shape.kind,
    color: z.string().regex(/^#[0-9a-f]{6}$/i, 'must be a colour like #2f7ed8').nullable().default(null),
    userId: idSchema.nullable().default(null),
  })
  .strict();

export const settingsMethods = defineMethods({
  /** CONFLICT when the practice already has a chair of that name. */
  'settings.createOperatory': { input: operatoryCreateSchema, output: z.object({ id: idSchema }), access: 'admin' },
  'settings.createProvider': { input: providerCreateSchema, output: z.object({ id: idSchema }), access: 'admin' },
});
