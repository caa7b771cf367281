// Pins down the schema's life cycle on both databases: migrations go up and down cleanly,
// a database made by an older migration set upgrades in place, and the database itself
// refuses what must never happen (audit edits, overlapping bookings, malformed instants).
import { afterEach, describe, expect, it } from 'vitest';
import { appliedMigrations, migrateDownAll, migrateToLatest } from '../../../main/db/migrate.js';
import { migrations } from '../../../main/db/migrations/index.js';
import { searchPatients } from '../../../main/db/repositories/patients.js';
import { databases, freshDatabase, type TestDatabase } from '../../support/databases.js';

describe.each(databases)('migrations on %s', (client) => {
  let t: TestDatabase;
  afterEach(async () => t?.close());

  it('runs every migration up, down and up again', async () => {
    t = await freshDatabase(client, { migrate: false });
    const { knex } = t.db;
    expect(await migrateToLatest(knex)).toEqual(migrations.map((m) => m.name));
    expect(await knex.schema.hasTable('patients')).toBe(true);
    expect(await migrateToLatest(knex)).toEqual([]);
    expect(await migrateDownAll(knex)).toHaveLength(migrations.length);
    for (const table of ['patients', 'appointments', 'audit_log', 'images']) {
      expect(await knex.schema.hasTable(table)).toBe(false);
    }
    expect(await migrateToLatest(knex)).toHaveLength(migrations.length);
    expect(await appliedMigrations(knex)).toEqual(migrations.map((m) => m.name));
  });

  it('upgrades a database created by an older migration set in place, keeping its rows', async () => {
    t = await freshDatabase(client, { migrate: false });
    const { knex } = t.db;
    await migrateToLatest(knex, migrations.slice(0, 1));
    const now = new Date().toISOString();
    await knex('practices').insert({ id: '00000000-0000-4000-8000-000000000001', name: 'Old', created_at: now, updated_at: now });
    const extra = {
      name: '29991231235959_test_extra',
      up: async (k: typeof knex) => k.schema.alterTable('practices', (tb) => tb.text('test_note')),
      down: async (k: typeof knex) => k.schema.alterTable('practices', (tb) => tb.dropColumn('test_note')),
    };
    expect(await migrateToLatest(knex, [...migrations, extra])).toEqual([...migrations.slice(1).map((m) => m.name), extra.name]);
    expect(await knex('practices').select('name', 'test_note')).toEqual([{ name: 'Old', test_note: null }]);
  });

  it('keeps refusing overlapping bookings in a database upgraded from the first schema', async () => {
    t = await freshDatabase(client, { migrate: false });
    const { knex } = t.db;
    await migrateToLatest(knex, migrations.slice(0, 1));
    const now = new Date().toISOString();
    const stamps = { created_at: now, updated_at: now, version: 1 };
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    await knex('practices').insert({ id: id(1), name: 'P', ...stamps });
    await knex('patients').insert({ id: id(2), practice_id: id(1), chart_number: '1', family_name: 'A', given_name: 'B', ...stamps });
    await knex('providers').insert({ id: id(3), practice_id: id(1), display_name: 'Dr', kind: 'dentist', ...stamps });
    await knex('operatories').insert({ id: id(4), practice_id: id(1), name: 'Chair', ...stamps });
    const appointment = (n: number, start: string, end: string) => ({
      id: id(n), practice_id: id(1), patient_id: id(2), provider_id: id(3), operatory_id: id(4), starts_at: start, ends_at: end, ...stamps,
    });
    await knex('appointments').insert(appointment(10, '2027-01-01T09:00:00.000Z', '2027-01-01T10:00:00.000Z'));
    await migrateToLatest(knex);
    await expect(knex('appointments').insert(appointment(11, '2027-01-01T09:30:00.000Z', '2027-01-01T10:30:00.000Z'))).rejects.toThrow();
    await knex('appointments').insert(appointment(12, '2027-01-01T10:00:00.000Z', '2027-01-01T10:30:00.000Z'));
    await expect(knex('appointments').where({ id: id(12) }).update({ starts_at: '2027-01-01T09:59:00.000Z' })).rejects.toThrow();
    expect(await knex('appointments').count({ n: '*' })).toEqual([{ n: client === 'postgres' ? '2' : 2 }]);
    // Patients written under the first schema are found by the rebuilt search tokens.
    const found = await searchPatients(knex, id(1), { query: 'b a', includeArchived: false, limit: 50 });
    expect(found.map((p) => p.id)).toEqual([id(2)]);
  });
});
