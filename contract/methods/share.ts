import { z } from 'zod';
import { idSchema, instantSchema } from '../common.js';
import { defineMethods } from '../define.js';
import { languageSchema } from './app.js';

/** A link lives at least a minute and at most seven days. */
export const shareLinkMinSeconds = 60;
export const shareLinkMaxSeconds = 7 * 24 * 3600;

export const shareSummarySchema = z.object({
  id: idSchema,
  patientId: idSchema,
  language: languageSchema,
  imageIds: z.array(idSchema),
  planId: idSchema.nullable(),
  pages: z.number().int().positive(),
  bytes: z.number().int().positive(),
  createdAt: instantSchema,
  createdBy: idSchema,
  /** Until when the current link works; null when no link was made. */
  linkExpiresAt: instantSchema.nullable(),
  /** Set once revoked: the PDF and any link are gone. */
  revokedAt: instantSchema.nullable(),
});
export type ShareSummary = z.infer<typeof shareSummarySchema>;

export const letterheadSchema = z.object({
  name: z.string(),
  address: z.string().nullable(),
  phone: z.string().nullable(),
});
export type Letterhead = z.infer<typeof letterheadSchema>;

export const shareMethods = defineMethods({
  /** Builds the patient's PDF (their preferred language unless `language` says otherwise). */
  'share.createPdf': {
    input: z
      .object({
        patientId: idSchema,
        imageIds: z.array(idSchema).max(12).default([]),
        planId: idSchema.nullable().default(null),
        language: languageSchema.optional(),
        /** Draw the images' saved annotations (lines, outlines and labels) over them. */
        annotations: z.boolean().default(false),
      })
      .strict()
      .refine((v) => v.imageIds.length > 0 || v.planId !== null, 'choose at least one image or a plan')
      .refine((v) => new Set(v.imageIds).size === v.imageIds.length, 'each image once'),
    output: shareSummarySchema,
    access: 'clinical',
  },
  'share.list': { input: z.object({ patientId: idSchema }).strict(), output: z.object({ shares: z.array(shareSummarySchema) }), access: 'clinical' },
  /**
   * A time-limited link for the patient. The token is returned once (only its hash is kept);
   * a new link replaces the previous one.
   */
  'share.createLink': {
    input: z
      .object({ id: idSchema, expiresInSeconds: z.number().int().min(shareLinkMinSeconds).max(shareLinkMaxSeconds) })
      .strict(),
    output: z.object({ path: z.string().regex(/^\/share\/[A-Za-z0-9_-]{43}$/), expiresAt: instantSchema, share: shareSummarySchema }),
    access: 'clinical',
  },
  /** Ends the link and deletes the PDF. */
  'share.revoke': { input: z.object({ id: idSchema }).strict(), output: shareSummarySchema, access: 'clinical' },
  /** The practice's letterhead on every PDF. */
  'share.letterhead': { input: z.object({}).strict(), output: letterheadSchema, access: 'clinical' },
  'share.setLetterhead': {
    input: z
      .object({ address: z.string().trim().max(300).nullable(), phone: z.string().trim().max(40).nullable() })
      .strict(),
    output: letterheadSchema,
    access: 'admin',
  },
});
