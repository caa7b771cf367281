import type { Knex } from 'knex';

/**
 * Sharing with the patient: the practice's letterhead (address and phone beside its name) and
 * one row per PDF made for a patient. A PDF lives in the object store under a random key
 * (`shares/<32 random hex>`: no name, no patient id); its link is a random token of which only
 * the SHA-256 is kept here, with its expiry; revoking deletes the object and ends the link.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('practices', (t) => {
    t.text('address');
    t.text('phone');
  });
  await knex.schema.createTable('shares', (t) => {
    t.string('id', 36).primary();
    t.string('practice_id', 36).notNullable().references('id').inTable('practices').onDelete('RESTRICT');
    t.string('patient_id', 36).notNullable().references('id').inTable('patients').onDelete('CASCADE');
    t.string('created_by', 36).notNullable().references('id').inTable('users').onDelete('RESTRICT');
    t.text('language').notNullable();
    /** JSON array of image ids, in the PDF's order. */
    t.text('image_ids').notNullable().defaultTo('[]');
    t.string('plan_id', 36);
    t.text('object_key').notNullable().unique();
    t.integer('bytes').notNullable();
    t.integer('pages').notNullable();
    t.text('sha256').notNullable();
    /** SHA-256 (hex) of the current link's token; null until a link is made. */
    t.text('token_hash').unique();
    t.text('link_expires_at');
    t.text('revoked_at');
    t.string('revoked_by', 36);
    t.text('created_at').notNullable();
    t.index(['patient_id', 'created_at']);
    t.check("language in ('fr', 'en')");
    t.check('bytes > 0 and pages > 0');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('shares');
  // Both SQLite (3.35+) and PostgreSQL drop a column in place; no table rebuild of practices.
  await knex.raw('alter table practices drop column phone');
  await knex.raw('alter table practices drop column address');
}
