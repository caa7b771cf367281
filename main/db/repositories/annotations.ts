import type { Knex } from 'knex';
import type { Annotation, AnnotationSave } from '../../../contract/index.js';
import { AppError } from '../../app/errors.js';
import type { Database } from '../database.js';
import { bool, guarded, newId, nowIso, num, updateVersioned } from '../rows.js';
import { getImage } from './imaging.js';

/**
 * Annotations on an image (measurements, arrows, text). Every save appends a version row, so
 * the history of a measurement is kept; delete is soft (a last version marked deleted).
 */

type Row = Record<string, unknown>;
const toAnnotation = (r: Row): Annotation => ({
  id: r.id as string,
  imageId: r.image_id as string,
  tool: r.tool as string,
  geometry: JSON.parse(r.geometry as string),
  label: (r.label as string | null) ?? null,
  authorId: r.author_id as string,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
  version: num(r.version),
});

export async function listAnnotations(knex: Knex, practiceId: string, imageId: string): Promise<Annotation[]> {
  await getImage(knex, practiceId, imageId);
  const rows = await knex('annotations').where({ image_id: imageId }).whereNull('deleted_at').orderBy('created_at').orderBy('id');
  return rows.map(toAnnotation);
}

async function ownedAnnotation(trx: Knex, practiceId: string, id: string): Promise<Row> {
  const row = await trx('annotations as a')
    .join('images as i', 'i.id', 'a.image_id')
    .join('patients as p', 'p.id', 'i.patient_id')
    .where({ 'a.id': id, 'p.practice_id': practiceId })
    .whereNull('a.deleted_at')
    .first('a.*');
  if (!row) throw new AppError('NOT_FOUND', 'The annotation was not found');
  return row;
}

async function appendVersion(trx: Knex, row: Row, deleted: boolean): Promise<void> {
  await trx('annotation_versions').insert({
    annotation_id: row.id, version: row.version, geometry: row.geometry, label: row.label ?? null, author_id: row.author_id,
    deleted, saved_at: row.updated_at,
  });
}

/** Creates (no id) or edits (id + version; CONFLICT when stale) an annotation. The editor becomes its author. */
export async function saveAnnotation(db: Database, practiceId: string, userId: string, input: AnnotationSave): Promise<Annotation> {
  return guarded('The annotation', () =>
    db.write(async (trx) => {
      await getImage(trx, practiceId, input.imageId);
      const geometry = JSON.stringify(input.geometry);
      let id = input.id;
      if (id === undefined || input.version === undefined) {
        const now = nowIso();
        id = newId();
        await trx('annotations').insert({
          id, image_id: input.imageId, tool: input.tool, geometry, label: input.label, author_id: userId, created_at: now, updated_at: now, version: 1,
        });
      } else {
        const current = await ownedAnnotation(trx, practiceId, id);
        if (current.image_id !== input.imageId) throw new AppError('INVALID_INPUT', 'The annotation belongs to another image');
        await updateVersioned(trx, 'annotations', { id }, input.version, { tool: input.tool, geometry, label: input.label, author_id: userId }, 'The annotation');
      }
      const row = await trx('annotations').where({ id }).first();
      await appendVersion(trx, row, false);
      return toAnnotation(row);
    }),
  );
}

export async function deleteAnnotation(db: Database, practiceId: string, userId: string, id: string, version: number): Promise<{ imageId: string }> {
  return guarded('The annotation', () =>
    db.write(async (trx) => {
      const current = await ownedAnnotation(trx, practiceId, id);
      await updateVersioned(trx, 'annotations', { id }, version, { deleted_at: nowIso(), author_id: userId }, 'The annotation');
      await appendVersion(trx, await trx('annotations').where({ id }).first(), true);
      return { imageId: current.image_id as string };
    }),
  );
}

export async function annotationHistory(knex: Knex, practiceId: string, id: string) {
  const owner = await knex('annotations as a')
    .join('images as i', 'i.id', 'a.image_id')
    .join('patients as p', 'p.id', 'i.patient_id')
    .where({ 'a.id': id, 'p.practice_id': practiceId })
    .first('a.id');
  if (!owner) throw new AppError('NOT_FOUND', 'The annotation was not found');
  const rows = await knex('annotation_versions').where({ annotation_id: id }).orderBy('version');
  return rows.map((r) => ({
    version: num(r.version),
    geometry: JSON.parse(r.geometry),
    label: r.label ?? null,
    authorId: r.author_id,
    deleted: bool(r.deleted),
    savedAt: r.saved_at,
  }));
}
