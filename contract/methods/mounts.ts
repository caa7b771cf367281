import { z } from 'zod';
import { dateSchema, idSchema, instantSchema, versionSchema } from '../common.js';
import { defineMethods } from '../define.js';
import { imageSchema } from './imaging.js';

/**
 * Mounts: a template of numbered slots (full-mouth series, bitewings) a clinician fills with a
 * patient's radiographs, and the query behind "compare with previous".
 *
 * Slots are shown as a clinic mounts films: labial view, the patient's right on the viewer's
 * left; maxillary periapicals on top, bitewings in the middle, mandibular periapicals below.
 * Slot numbers (1-based) are also the order in which new exposures fill an open mount.
 */

export const mountTemplateSchema = z.enum(['fmx18', 'bw4']);
export type MountTemplate = z.infer<typeof mountTemplateSchema>;

export interface MountSlotSpec {
  /** 1-based; the fill order. */
  slot: number;
  kind: 'bitewing' | 'periapical';
  /** FDI teeth the film covers (Universal derived for display). */
  teeth: readonly number[];
  /** Position on a 14-column grid (1-based start column, spans 2) and row (1 = maxilla, 2 = bitewings, 3 = mandible). */
  column: number;
  row: 1 | 2 | 3;
}

const pa = (slot: number, row: 1 | 3, column: number, teeth: number[]): MountSlotSpec => ({ slot, kind: 'periapical', teeth, column, row });
const bw = (slot: number, column: number, teeth: number[]): MountSlotSpec => ({ slot, kind: 'bitewing', teeth, column, row: 2 });

/** The templates Cusp offers: 18-film full-mouth series (4 bitewings + 14 periapicals) and 4 bitewings. */
export const mountTemplates: Record<MountTemplate, readonly MountSlotSpec[]> = {
  fmx18: [
    pa(1, 1, 1, [18, 17, 16]),
    pa(2, 1, 3, [15, 14]),
    pa(3, 1, 5, [13, 12]),
    pa(4, 1, 7, [12, 11, 21, 22]),
    pa(5, 1, 9, [22, 23]),
    pa(6, 1, 11, [24, 25]),
    pa(7, 1, 13, [26, 27, 28]),
    bw(8, 2, [16, 17, 46, 47]),
    bw(9, 4, [14, 15, 44, 45]),
    bw(10, 10, [24, 25, 34, 35]),
    bw(11, 12, [26, 27, 36, 37]),
    pa(12, 3, 1, [48, 47, 46]),
    pa(13, 3, 3, [45, 44]),
    pa(14, 3, 5, [43, 42]),
    pa(15, 3, 7, [42, 41, 31, 32]),
    pa(16, 3, 9, [32, 33]),
    pa(17, 3, 11, [34, 35]),
    pa(18, 3, 13, [36, 37, 38]),
  ],
  bw4: [bw(1, 2, [16, 17, 46, 47]), bw(2, 4, [14, 15, 44, 45]), bw(3, 10, [24, 25, 34, 35]), bw(4, 12, [26, 27, 36, 37])],
};

export const mountSchema = z.object({
  id: idSchema,
  patientId: idSchema,
  template: mountTemplateSchema,
  /** The day the series was taken (the practice's calendar date). */
  takenOn: dateSchema,
  appointmentId: idSchema.nullable(),
  createdAt: instantSchema,
  /** Filled slots only, in slot order. */
  slots: z.array(z.object({ slot: z.number().int().positive(), imageId: idSchema })),
  /** Every slot of the template is filled. */
  complete: z.boolean(),
  version: versionSchema,
});
export type Mount = z.infer<typeof mountSchema>;

export const mountCreateSchema = z
  .object({
    patientId: idSchema,
    template: mountTemplateSchema,
    takenOn: dateSchema,
    appointmentId: idSchema.nullable().default(null),
  })
  .strict();
export type MountCreate = z.output<typeof mountCreateSchema>;

export const mountPlaceSchema = z
  .object({
    id: idSchema,
    version: versionSchema,
    slot: z.number().int().min(1).max(18),
    /**
     * The image for the slot; null empties it. An image already in another slot of the mount
     * moves (the image that was in the target slot, if any, takes its old place).
     */
    imageId: idSchema.nullable(),
  })
  .strict();
export type MountPlace = z.output<typeof mountPlaceSchema>;

export const mountMethods = defineMethods({
  /** Newest first. */
  'mounts.forPatient': { input: z.object({ patientId: idSchema }).strict(), output: z.object({ mounts: z.array(mountSchema) }), access: 'imaging.view' },
  'mounts.create': { input: mountCreateSchema, output: mountSchema, access: 'clinical' },
  /** CONFLICT when the mount changed since `version` was read (another workstation, or a new exposure). */
  'mounts.place': { input: mountPlaceSchema, output: mountSchema, access: 'clinical' },
  'mounts.delete': { input: z.object({ id: idSchema, version: versionSchema }).strict(), output: z.object({ deleted: z.literal(true) }), access: 'clinical' },
  /**
   * The patient's image to compare a given one with: the most recent one acquired before it, of
   * the same modality, sharing at least one tooth when the image lists its teeth. Null when none.
   */
  'imaging.previous': { input: z.object({ imageId: idSchema }).strict(), output: z.object({ image: imageSchema.nullable() }), access: 'imaging.view' },
});
