import type { Knex } from 'knex';

/**
 * The estimated radiographic magnification factor (0018,1114) of an image whose spacing is the
 * detector's (ImagerPixelSpacing): with it the viewer shows millimetres at the patient before the
 * master (whose header has the factor too) is loaded. Null when the file gives none.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('images', (t) => {
    t.double('magnification');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('images', (t) => {
    t.dropColumn('magnification');
  });
}
