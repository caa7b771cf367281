import type { Knex } from 'knex';
import type { Annotation, AnnotationSave } from '../../../contract/index.js';
import { AppError } from '../../app/errors.js';
import type { Database } from '../database.js';
import { bool, guarded, newId, nowIso, num, updateVersioned } from '../rows.js';
import { getImage } from './imaging.js';

/**
 * Annotations on an image (measurements, arrows, text). Every save appends a version row, so
 * the history of a measurement is kept; delete is soft (a last version marked deleted).
 * The annotation keeps its author; each version row records who saved it. Only the author, or a
 * caller allowed to edit others' annotations (an admin), may change or delete one: FORBIDDEN
 * otherwise, checked inside the write transaction.
 */

type Row = Record<string, unknown>;
const toAnnotation = (r: Row): Annotation => ({
  id: r.id as string,
  imageId: r.image_id as string,
  tool: r.tool as string,
  geometry: JSON.parse(r.geometry as string),
  label: (r.label as string | null) ?? null,
  authorId: r.author_id as string,
  authorName: (r.author_name as string | null) ?? '',
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
  version: num(r.version),
});

export async function listAnnotations(knex: Knex, practiceId: string, imageId: string): Promise<Annotation[]> {
  await getImage(knex, practiceId, imageId);
  const rows = await withAuthor(knex('annotations as a')).where({ 'a.image_id': imageId }).whereNull('a.deleted_at').orderBy('a.created_at').orderBy('a.id');
  return rows.map(toAnnotation);
}

const withAuthor = (query: Knex.QueryBuilder) => query.leftJoin('users as u', 'u.id', 'a.author_id').select('a.*', 'u.display_name as author_name');
const readAnnotation = async (trx: Knex, id: string): Promise<Row> => withAuthor(trx('annotations as a')).where({ 'a.id': id }).first();

/** Who may change an annotation: its author, or anyone when `editOthers` (an admin). */
export interface Editor {
  userId: string;
  editOthers: boolean;
}
const editorOf = (editor: string | Editor): Editor => (typeof editor === 'string' ? { userId: editor, editOthers: false } : editor);

function mayEdit(row: Row, editor: Editor): void {
  if (row.author_id !== editor.userId && !editor.editOthers) throw new AppError('FORBIDDEN', 'Only its author or an administrator can change this annotation');
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

async function appendVersion(trx: Knex, row: Row, deleted: boolean, savedBy: string): Promise<void> {
  await trx('annotation_versions').insert({
    annotation_id: row.id, version: row.version, geometry: row.geometry, label: row.label ?? null, author_id: savedBy,
    deleted, saved_at: row.updated_at,
  });
}

/**
 * Creates (no id) or edits (id + version; CONFLICT when stale) an annotation. A new one is the
 * caller's; an edit keeps the author and needs the author or `editOthers` (FORBIDDEN otherwise).
 */
export async function saveAnnotation(db: Database, practiceId: string, editorOrUserId: string | Editor, input: AnnotationSave): Promise<Annotation> {
  const editor = editorOf(editorOrUserId);
  const userId = editor.userId;
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
        mayEdit(current, editor);
        await updateVersioned(trx, 'annotations', { id }, input.version, { tool: input.tool, geometry, label: input.label }, 'The annotation');
      }
      const row = await readAnnotation(trx, id);
      await appendVersion(trx, row, false, userId);
      return toAnnotation(row);
    }),
  );
}

/** Soft delete (CONFLICT when stale; FORBIDDEN unless the author or `editOthers`). */
export async function deleteAnnotation(db: Database, practiceId: string, editorOrUserId: string | Editor, id: string, version: number): Promise<{ imageId: string }> {
  const editor = editorOf(editorOrUserId);
  return guarded('The annotation', () =>
    db.write(async (trx) => {
      const current = await ownedAnnotation(trx, practiceId, id);
      mayEdit(current, editor);
      await updateVersioned(trx, 'annotations', { id }, version, { deleted_at: nowIso() }, 'The annotation');
      await appendVersion(trx, await trx('annotations').where({ id }).first(), true, editor.userId);
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

/** The image an annotation (deleted or not) of this practice is on, or null: for audit entries. */
export async function annotationImageId(knex: Knex, practiceId: string, id: string): Promise<string | null> {
  const row = await knex('annotations as a')
    .join('images as i', 'i.id', 'a.image_id')
    .join('patients as p', 'p.id', 'i.patient_id')
    .where({ 'a.id': id, 'p.practice_id': practiceId })
    .first('a.image_id');
  return (row?.image_id as string | undefined) ?? null;
}
