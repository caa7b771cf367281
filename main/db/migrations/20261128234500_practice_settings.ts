import type { Knex } from 'knex';

/**
 * Practice-wide settings every workstation shares (the default language, the compression preset)
 * and per-user preferences (a user's language), as JSON values by name. Workstation settings
 * (which database, which store, Orthanc) stay in config.json; secrets in the secret store.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('practice_settings', (t) => {
    t.string('practice_id', 36).notNullable().references('id').inTable('practices').onDelete('CASCADE');
    /** `language`, `compression`, or `user:<uuid>:language`. */
    t.text('name').notNullable();
    t.text('value').notNullable();
    t.text('updated_at').notNullable();
    t.string('updated_by', 36);
    t.primary(['practice_id', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('practice_settings');
}
