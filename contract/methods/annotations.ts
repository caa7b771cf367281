import { z } from 'zod';
import { idSchema, instantSchema, versionSchema } from '../common.js';
import { defineMethods } from '../define.js';

/**
 * Geometry is the viewer tool's own JSON, in full-resolution image pixel coordinates (the viewer's
 * world space; a pixel's centre is at its integer column/row); at most 64 KiB. The viewer stores
 * `{ points: [[x, y], …], handles, contour?, text?, viewPlaneNormal?, viewUp? }`: `points` is what
 * export draws (and GSPS carries), the rest lets Cornerstone restore its drawing exactly.
 */
const geometrySchema = z.json().refine((g) => JSON.stringify(g).length <= 65_536, 'must be at most 64 KiB of JSON');

export const annotationSchema = z.object({
  id: idSchema,
  imageId: idSchema,
  tool: z.string(),
  geometry: z.json(),
  label: z.string().nullable(),
  /** Who drew it (an edit by an admin keeps the author; each version records who saved it). */
  authorId: idSchema,
  /** The author's display name, for the side panel. */
  authorName: z.string(),
  createdAt: instantSchema,
  updatedAt: instantSchema,
  version: versionSchema,
});
export type Annotation = z.infer<typeof annotationSchema>;

export const annotationVersionSchema = z.object({
  version: versionSchema,
  geometry: z.json(),
  label: z.string().nullable(),
  authorId: idSchema,
  deleted: z.boolean(),
  savedAt: instantSchema,
});

export const annotationSaveSchema = z
  .object({
    imageId: idSchema,
    /** Omitted: a new annotation. Given: an edit of that one, with the version read. */
    id: idSchema.optional(),
    version: versionSchema.optional(),
    tool: z.string().min(1).max(60),
    geometry: geometrySchema,
    label: z.string().max(500).nullable().default(null),
  })
  .strict()
  .refine((a) => (a.id === undefined) === (a.version === undefined), { message: 'id and version go together', path: ['version'] });
export type AnnotationSave = z.output<typeof annotationSaveSchema>;

/** An annotation as the caller sees it: `editable` when the caller is its author or an admin (main enforces it). */
export const listedAnnotationSchema = annotationSchema.extend({ editable: z.boolean() });
export type ListedAnnotation = z.infer<typeof listedAnnotationSchema>;

export const annotationMethods = defineMethods({
  'annotations.list': { input: z.object({ imageId: idSchema }).strict(), output: z.object({ annotations: z.array(listedAnnotationSchema) }), access: 'imaging.view' },
  /** Only the author or an admin may edit an annotation (FORBIDDEN otherwise, audited). */
  'annotations.save': { input: annotationSaveSchema, output: listedAnnotationSchema, access: 'clinical' },
  /** Soft delete: the history keeps every version. Only the author or an admin (FORBIDDEN otherwise, audited). */
  'annotations.delete': { input: z.object({ id: idSchema, version: versionSchema }).strict(), output: z.object({ deleted: z.literal(true) }), access: 'clinical' },
  'annotations.history': { input: z.object({ id: idSchema }).strict(), output: z.object({ versions: z.array(annotationVersionSchema) }), access: 'clinical' },
});
