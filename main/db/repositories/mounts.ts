import type { Knex } from 'knex';
import { mountTemplates, type ImageRecord, type Mount, type MountCreate, type MountPlace, type MountTemplate } from '../../../contract/index.js';
import { AppError } from '../../app/errors.js';
import type { Database } from '../database.js';
import { isPostgres } from '../dialect.js';
import { guarded, json, newId, nowIso, num, updateVersioned } from '../rows.js';
import { getImage } from './imaging.js';

/**
 * Mounts: templates of numbered slots filled with a patient's radiographs (see
 * contract/methods/mounts.ts for the templates), and "the previous image" for comparison.
 * Every slot change bumps the mount's version (optimistic concurrency for the renderer).
 */

type Row = Record<string, unknown>;

const slotCount = (template: MountTemplate) => mountTemplates[template].length;

async function toMounts(knex: Knex, rows: Row[]): Promise<Mount[]> {
  const ids = rows.map((r) => r.id as string);
  const slots = new Map<string, Array<{ slot: number; imageId: string }>>();
  for (let i = 0; i < ids.length; i += 500) {
    const found = await knex('mount_slots').whereIn('mount_id', ids.slice(i, i + 500)).orderBy('slot').select('mount_id', 'slot', 'image_id');
    for (const s of found) slots.set(s.mount_id, [...(slots.get(s.mount_id) ?? []), { slot: num(s.slot), imageId: s.image_id as string }]);
  }
  return rows.map((r) => {
    const template = r.template as MountTemplate;
    const filled = slots.get(r.id as string) ?? [];
    return {
      id: r.id as string,
      patientId: r.patient_id as string,
      template,
      takenOn: r.taken_on as string,
      appointmentId: (r.appointment_id as string | null) ?? null,
      createdAt: r.created_at as string,
      slots: filled,
      complete: filled.length >= slotCount(template),
      version: num(r.version),
    };
  });
}

async function ownedMount(knex: Knex, practiceId: string, id: string): Promise<Row> {
  const row = await knex('mounts').where({ id, practice_id: practiceId }).first();
  if (!row) throw new AppError('NOT_FOUND', 'The mount was not found');
  return row;
}

export async function getMount(knex: Knex, practiceId: string, id: string): Promise<Mount> {
  return (await toMounts(knex, [await ownedMount(knex, practiceId, id)]))[0]!;
}

/** A patient's mounts, newest first. */
export async function mountsForPatient(knex: Knex, practiceId: string, patientId: string): Promise<Mount[]> {
  const patient = await knex('patients').where({ id: patientId, practice_id: practiceId }).first('id');
  if (!patient) throw new AppError('NOT_FOUND', 'The patient was not found');
  const rows = await knex('mounts').where({ patient_id: patientId, practice_id: practiceId }).orderBy('taken_on', 'desc').orderBy('created_at', 'desc').orderBy('id');
  return toMounts(knex, rows);
}

export async function createMount(db: Database, practiceId: string, userId: string | null, input: MountCreate): Promise<Mount> {
  return guarded('The mount', () =>
    db.write(async (trx) => {
      const patient = await trx('patients').where({ id: input.patientId, practice_id: practiceId }).first('id');
      if (!patient) throw new AppError('NOT_FOUND', 'The patient was not found');
      if (input.appointmentId) {
        const appointment = await trx('appointments').where({ id: input.appointmentId, practice_id: practiceId }).first('patient_id');
        if (!appointment) throw new AppError('NOT_FOUND', 'The appointment was not found');
        if (appointment.patient_id !== input.patientId) throw new AppError('INVALID_INPUT', 'The appointment is another patient’s');
      }
      const now = nowIso();
      const id = newId();
      await trx('mounts').insert({
        id, practice_id: practiceId, patient_id: input.patientId, template: input.template, taken_on: input.takenOn,
        appointment_id: input.appointmentId, created_by: userId, created_at: now, updated_at: now, version: 1,
      });
      return getMount(trx, practiceId, id);
    }),
  );
}

/**
 * Puts an image in a slot (or empties it). An image already in another slot of the mount moves,
 * and whatever sat in the target slot takes its old place; an image from outside the mount
 * replaces what was in the slot. CONFLICT when the mount changed since `version`.
 */
export async function placeImage(db: Database, practiceId: string, input: MountPlace): Promise<{ mount: Mount; before: string | null }> {
  return guarded('The mount', () =>
    db.write(async (trx) => {
      const mount = await ownedMount(trx, practiceId, input.id);
      if (input.slot > slotCount(mount.template as MountTemplate)) throw new AppError('INVALID_INPUT', `The ${mount.template as string} mount has no slot ${input.slot}`);
      await updateVersioned(trx, 'mounts', { id: input.id }, input.version, {}, 'The mount');
      const current = (await trx('mount_slots').where({ mount_id: input.id, slot: input.slot }).first('image_id')) as { image_id: string } | undefined;
      const before = current?.image_id ?? null;
      if (input.imageId === null) {
        await trx('mount_slots').where({ mount_id: input.id, slot: input.slot }).delete();
      } else if (input.imageId !== before) {
        const image = await getImage(trx, practiceId, input.imageId);
        if (image.patientId !== mount.patient_id) throw new AppError('INVALID_INPUT', 'The image is another patient’s');
        const from = (await trx('mount_slots').where({ mount_id: input.id, image_id: input.imageId }).first('slot')) as { slot: unknown } | undefined;
        // Free both places first: (mount, slot) and (mount, image) are unique.
        await trx('mount_slots').where({ mount_id: input.id }).whereIn('slot', from ? [input.slot, num(from.slot)] : [input.slot]).delete();
        await trx('mount_slots').insert({ mount_id: input.id, slot: input.slot, image_id: input.imageId });
        if (from && before) await trx('mount_slots').insert({ mount_id: input.id, slot: num(from.slot), image_id: before });
      }
      return { mount: await getMount(trx, practiceId, input.id), before };
    }),
  );
}

export async function deleteMount(db: Database, practiceId: string, id: string, version: number): Promise<{ patientId: string }> {
  return guarded('The mount', () =>
    db.write(async (trx) => {
      const mount = await ownedMount(trx, practiceId, id);
      await updateVersioned(trx, 'mounts', { id }, version, {}, 'The mount');
      await trx('mounts').where({ id }).delete();
      return { patientId: mount.patient_id as string };
    }),
  );
}

/** The calendar day of an instant on this machine (the practice's clock), YYYY-MM-DD. */
export function localDay(instant: string | Date): string {
  const d = new Date(instant);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Only intra-oral exposures go into a mount's slots: a panoramic or a photo never does. */
const mountedModalities = new Set(['IO']);

/**
 * Ingest's hook, inside the transaction that indexes a new image: the image goes into the first
 * empty slot (slot order) of the patient's open mount — the most recently created of the mounts
 * taken today that still has an empty slot. The mount row is locked (PostgreSQL: FOR UPDATE;
 * SQLite's writer lock covers it) and (mount, slot) / (mount, image) are unique, so an image is
 * never filed twice and two exposures never share a slot.
 */
export async function fillNextSlot(
  trx: Knex.Transaction,
  input: { patientId: string; imageId: string; modality: string; now: string },
): Promise<{ mountId: string; slot: number } | null> {
  if (!mountedModalities.has(input.modality)) return null;
  let query = trx('mounts').where({ patient_id: input.patientId, taken_on: localDay(input.now) }).orderBy('created_at', 'desc').orderBy('id', 'desc').select('id', 'template');
  if (isPostgres(trx)) query = query.forUpdate();
  const mounts = (await query) as Array<{ id: string; template: MountTemplate }>;
  for (const mount of mounts) {
    const already = await trx('mount_slots').where({ mount_id: mount.id, image_id: input.imageId }).first('slot');
    if (already) return { mountId: mount.id, slot: num(already.slot) };
    const taken = new Set((await trx('mount_slots').where({ mount_id: mount.id }).select('slot')).map((s) => num(s.slot)));
    const free = mountTemplates[mount.template].find((s) => !taken.has(s.slot));
    if (!free) continue;
    await trx('mount_slots').insert({ mount_id: mount.id, slot: free.slot, image_id: input.imageId });
    await trx('mounts').where({ id: mount.id }).update({ version: trx.raw('version + 1'), updated_at: nowIso() });
    return { mountId: mount.id, slot: free.slot };
  }
  return null;
}

/**
 * The image to compare `imageId` with: the patient's most recent image acquired strictly before
 * it, of the same modality; when the image lists its teeth, the earlier one must share at least
 * one of them (earlier images without teeth are then left out: their region is unknown).
 */
export async function previousImage(knex: Knex, practiceId: string, imageId: string): Promise<ImageRecord | null> {
  const image = await getImage(knex, practiceId, imageId);
  if (!image.acquiredAt) return null;
  const teeth = new Set(image.teeth);
  const batch = 200;
  for (let offset = 0; ; offset += batch) {
    const rows = (await knex('images')
      .where({ patient_id: image.patientId, modality: image.modality })
      .andWhere('acquired_at', '<', image.acquiredAt)
      .whereNot('id', image.id)
      .orderBy('acquired_at', 'desc')
      .orderBy('id')
      .offset(offset)
      .limit(batch)
      .select('id', 'teeth')) as Array<{ id: string; teeth: string }>;
    const match = rows.find((r) => teeth.size === 0 || json<number[]>(r.teeth, []).some((t) => teeth.has(t)));
    if (match) return getImage(knex, practiceId, match.id);
    if (rows.length < batch) return null;
  }
}
