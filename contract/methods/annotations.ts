import { z } from 'zod';
import { idSchema, instantSchema, versionSchema } from '../common.js';
import { defineMethods } from '../define.js';

/** Geometry is the viewer tool's own JSON (points in image pixel coordinates); at most 64 KiB. */
const geometrySchema = z.json().refine((g) => JSON.stringify(g).length <= 65_536, 'must be at most 64 KiB of JSON');

export const annotationSchema = z.object({
  id: idSchema,
  imageId: idSchema,
  tool: z.string(),
  geometry: z.json(),
  label: z.string().nullable(),
  authorId: idSchema,
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

export const annotationMethods = defineMethods({
  'annotations.list': { input: z.object({ imageId: idSchema }).strict(), output: z.object({ annotations: z.array(annotationSchema) }), access: 'imaging.view' },
  'annotations.save': { input: annotationSaveSchema, output: annotationSchema, access: 'clinical' },
  /** Soft delete: the history keeps every version. */
  'annotations.delete': { input: z.object({ id: idSchema, version: versionSchema }).strict(), output: z.object({ deleted: z.literal(true) }), access: 'clinical' },
  'annotations.history': { input: z.object({ id: idSchema }).strict(), output: z.object({ versions: z.array(annotationVersionSchema) }), access: 'clinical' },
});
