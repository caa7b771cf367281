import type { Knex } from 'knex';

/**
 * Mounts (issue 7): a template of numbered slots a clinician fills with a patient's radiographs.
 *
 * - `mounts`: one per series taken (template, the calendar day it was taken, optional
 *   appointment). `version` bumps on every slot change, so two workstations (or a workstation
 *   and a new exposure filed by ingest) never overwrite each other's placement silently.
 * - `mount_slots`: which image sits in which slot. One image per slot and one slot per image
 *   within a mount (primary key and unique index), so a retried ingest can never file twice.
 */
const inList = (column: string, values: readonly string[]) => `${column} in (${values.map((v) => `'${v}'`).join(', ')})`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mounts', (t) => {
    t.string('id', 36).primary();
    t.string('practice_id', 36).notNullable().references('id').inTable('practices').onDelete('RESTRICT');
    t.string('patient_id', 36).notNullable().references('id').inTable('patients').onDelete('RESTRICT');
    t.text('template').notNullable();
    /** YYYY-MM-DD, the practice's calendar day. */
    t.text('taken_on').notNullable();
    t.string('appointment_id', 36).references('id').inTable('appointments').onDelete('SET NULL');
    t.string('created_by', 36).references('id').inTable('users').onDelete('RESTRICT');
    t.text('created_at').notNullable();
    t.text('updated_at').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.index(['patient_id', 'taken_on']);
    t.check(inList('template', ['fmx18', 'bw4']));
  });

  await knex.schema.createTable('mount_slots', (t) => {
    t.string('mount_id', 36).notNullable().references('id').inTable('mounts').onDelete('CASCADE');
    t.integer('slot').notNullable();
    t.string('image_id', 36).notNullable().references('id').inTable('images').onDelete('CASCADE');
    t.primary(['mount_id', 'slot']);
    t.unique(['mount_id', 'image_id']);
    t.index(['image_id']);
    t.check('slot between 1 and 18');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mount_slots');
  await knex.schema.dropTableIfExists('mounts');
}
