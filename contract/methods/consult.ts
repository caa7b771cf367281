import { z } from 'zod';
import { idSchema, instantSchema } from '../common.js';
import { defineMethods } from '../define.js';
import { languageSchema } from './app.js';
import { modalitySchema } from './imaging.js';

/**
 * The consultation display: what a chair (a signed-in clinical session) shows its patient on the
 * second screen. Content is held in main per display (one browser session under `cusp serve`,
 * one workstation in the desktop app) and read back only by that same display; it carries no
 * patient name, and it disappears when the session that pushed it locks or signs out.
 */
/** A saved annotation as drawn for the patient: points in full-resolution pixel coordinates. */
export const drawnAnnotationSchema = z.object({
  points: z.array(z.tuple([z.number(), z.number()])).min(1).max(2000),
  closed: z.boolean(),
  ellipse: z.object({ cx: z.number(), cy: z.number(), rx: z.number(), ry: z.number() }).optional(),
  label: z.string().nullable(),
});

export const consultImageSchema = z.object({
  id: idSchema,
  modality: modalitySchema,
  acquiredAt: instantSchema.nullable(),
  /** FDI tooth numbers. */
  teeth: z.array(z.number().int()),
  /** Full-resolution size: the annotations' coordinate space. */
  columns: z.number().int().positive(),
  rows: z.number().int().positive(),
  /** Empty unless the chair chose to show them. */
  annotations: z.array(drawnAnnotationSchema).max(200),
});
export type ConsultImage = z.infer<typeof consultImageSchema>;

export const consultPlanSchema = z.object({
  title: z.string(),
  phases: z.array(
    z.object({
      title: z.string(),
      procedures: z.array(
        z.object({
          code: z.string(),
          description: z.string().nullable(),
          tooth: z.number().int().nullable(),
          surfaces: z.string().nullable(),
          feeCents: z.number().int().nonnegative(),
        }),
      ),
    }),
  ),
  totalCents: z.number().int().nonnegative(),
});
export type ConsultPlan = z.infer<typeof consultPlanSchema>;

export const consultContentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('image'), language: languageSchema, images: z.array(consultImageSchema).length(1) }),
  z.object({ kind: z.literal('compare'), language: languageSchema, images: z.array(consultImageSchema).length(2) }),
  z.object({ kind: z.literal('plan'), language: languageSchema, plan: consultPlanSchema }),
]);
export type ConsultContent = z.infer<typeof consultContentSchema>;

export const consultShowSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('image'), imageId: idSchema, annotations: z.boolean().default(false) }).strict(),
  z
    .object({ kind: z.literal('compare'), imageIds: z.tuple([idSchema, idSchema]), annotations: z.boolean().default(false) })
    .strict()
    .refine((v) => v.imageIds[0] !== v.imageIds[1], 'compare two different images'),
  z.object({ kind: z.literal('plan'), planId: idSchema }).strict(),
]);
export type ConsultShow = z.infer<typeof consultShowSchema>;

/** Which display an event is for: an opaque tag the display learns from `consult.display`. */
export const consultChangedSchema = z.object({ display: z.string().regex(/^[0-9a-f]{16}$/) });

export const consultMethods = defineMethods({
  /** The chair shows an image, two images side by side, or a plan summary on its display. */
  'consult.show': { input: consultShowSchema, output: z.object({ shown: z.literal(true) }), access: 'clinical' },
  /** The chair blanks its display. */
  'consult.clear': { input: z.object({}).strict(), output: z.object({ cleared: z.literal(true) }), access: 'signedIn' },
  /**
   * What the display of the caller's own session (or workstation, in the desktop app) shows now.
   * Public because the display is not a signed-in screen of its own: it only ever gets what its
   * own chair pushed, and nothing once that chair locks or signs out.
   */
  'consult.display': {
    input: z.object({}).strict(),
    output: z.object({ display: consultChangedSchema.shape.display, content: consultContentSchema.nullable() }),
    access: 'public',
  },
});
