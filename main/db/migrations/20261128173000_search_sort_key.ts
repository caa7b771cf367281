import type { Knex } from 'knex';
import { isPostgres } from '../dialect.js';
import { searchTokenRows, type SearchablePatient } from '../search.js';

/**
 * Patient search answered from its token index alone. The first version joined every patient
 * whose name starts with the typed prefix, then sorted them all to show 50: on 100,000
 * patients a common prefix ("gagno", "trem") took 40–90 ms. Token rows now carry the practice,
 * the archived flag and the display sort key, and phone digits become tokens too (no OR path),
 * so search reads one covering index range and sorts small rows; the other words of a query are
 * checked against a (patient_id, token) index without touching the table.
 * Existing rows are rebuilt from the patients table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('patient_search_tokens', (t) => {
    t.string('practice_id', 36);
    t.boolean('archived').notNullable().defaultTo(false);
    t.text('sort_key').notNullable().defaultTo('');
  });
  if (isPostgres(knex)) {
    await knex.raw('alter table patient_search_tokens alter column sort_key type text collate "C"');
  }
  await rebuild(knex);
  await knex.schema.alterTable('patient_search_tokens', (t) => {
    t.index(['practice_id', 'archived', 'token', 'sort_key', 'patient_id'], 'patient_search_tokens_lookup');
    // "Does this candidate also have a token starting with …" answered from the index alone.
    t.index(['patient_id', 'token'], 'patient_search_tokens_patient_token');
    t.dropIndex(['patient_id']);
  });
}

async function rebuild(knex: Knex): Promise<void> {
  await knex('patient_search_tokens').delete();
  let after = '';
  for (;;) {
    const patients: SearchablePatient[] = await knex('patients')
      .where('id', '>', after)
      .orderBy('id')
      .limit(2000)
      .select('id', 'practice_id', 'family_name', 'given_name', 'chart_number', 'phone_digits', 'archived');
    if (!patients.length) break;
    const rows = patients.flatMap((p) => searchTokenRows({ ...p, archived: Boolean(p.archived) }));
    for (let i = 0; i < rows.length; i += 100) await knex('patient_search_tokens').insert(rows.slice(i, i + 100));
    after = patients[patients.length - 1]!.id;
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('patient_search_tokens', (t) => {
    t.index(['patient_id']);
    t.dropIndex([], 'patient_search_tokens_patient_token');
    t.dropIndex([], 'patient_search_tokens_lookup');
  });
  // Phone-digit tokens stay: the older search simply finds phones through them as well.
  await knex.schema.alterTable('patient_search_tokens', (t) => {
    t.dropColumn('sort_key');
    t.dropColumn('archived');
    t.dropColumn('practice_id');
  });
}
