// Pins down "no double booking" under real concurrency: two workstations (two independent
// connection pools — two knex instances on one SQLite file, two PostgreSQL connections) book
// the same chair at the same time; exactly one wins, every other gets CONFLICT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appointmentCreateSchema } from '../../../contract/index.js';
import { AppError } from '../../../main/app/errors.js';
import type { Database } from '../../../main/db/database.js';
import { createAppointment, listAppointments } from '../../../main/db/repositories/schedule.js';
import { databases, freshDatabase, type TestDatabase } from '../../support/databases.js';
import { addPatient, at, seedPractice } from './fixtures.js';

describe.each(databases)('double booking on %s', (client) => {
  let t: TestDatabase;
  let other: Database;
  let seed: Awaited<ReturnType<typeof seedPractice>>;
  let patientIds: string[];
  beforeAll(async () => {
    t = await freshDatabase(client);
    other = await t.openAnother();
    seed = await seedPractice(t.db);
    patientIds = [];
    for (const name of ['Un', 'Deux', 'Trois', 'Quatre']) patientIds.push((await addPatient(t.db, seed.practice.id, { familyName: name, givenName: 'Course' })).id);
  });
  afterAll(async () => t?.close());

  const booking = (patientId: string, start: string, end: string, day: string) =>
    appointmentCreateSchema.parse({ patientId, providerId: seed.providerId, operatoryId: seed.chair1, startsAt: at(start, day), endsAt: at(end, day) });

  it('lets exactly one of two simultaneous bookings of one slot win, across workstations, many times over', async () => {
    for (let round = 0; round < 10; round += 1) {
      const day = `2027-01-${String(round + 1).padStart(2, '0')}`;
      // Four slots that all share 09:30–09:45: only one of them can hold the chair.
      const results = await Promise.allSettled([
        createAppointment(t.db, seed.practice.id, booking(patientIds[0]!, '09:00', '10:00', day)),
        createAppointment(other, seed.practice.id, booking(patientIds[1]!, '09:30', '10:30', day)),
        createAppointment(t.db, seed.practice.id, booking(patientIds[2]!, '08:30', '09:45', day)),
        createAppointment(other, seed.practice.id, booking(patientIds[3]!, '09:15', '11:00', day)),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const loss of lost) {
        expect(loss.reason).toBeInstanceOf(AppError);
        expect((loss.reason as AppError).code).toBe('CONFLICT');
      }
      const booked = await listAppointments(other.knex, seed.practice.id, { from: at('00:00', day), to: at('23:59', day), includeCancelled: false });
      expect(booked).toHaveLength(1);
    }
  });

  /**
   * Workstation A: inserts an appointment inside a transaction and keeps it open until told to
   * commit or roll back.
   */
  async function holdBooking(id: string, day: string) {
    const now = new Date().toISOString();
    let finish!: (commit: boolean) => void;
    const decision = new Promise<boolean>((resolve) => (finish = resolve));
    let inserted!: () => void;
    const holderInserted = new Promise<void>((resolve) => (inserted = resolve));
    const done = t.db.write(async (trx) => {
      await trx('appointments').insert({
        id, practice_id: seed.practice.id, patient_id: patientIds[0], provider_id: seed.providerId, operatory_id: seed.chair1,
        starts_at: at('14:00', day), ends_at: at('15:00', day), status: 'booked', created_at: now, updated_at: now, version: 1,
      });
      inserted();
      if (!(await decision)) throw new Error('workstation A gave up');
    });
    done.catch(() => undefined);
    await holderInserted;
    return { done, commit: () => finish(true), rollBack: () => finish(false) };
  }

  it('makes a booking wait for a transaction holding an overlapping one, then refuses it when that commits', async () => {
    const day = '2027-02-01';
    const holder = await holdBooking('00000000-0000-4000-8000-0000000000a1', day);
    // Workstation B books an overlapping slot while A's transaction is open.
    let settled = false;
    const contender = createAppointment(other, seed.practice.id, booking(patientIds[1]!, '14:30', '15:30', day)).finally(() => (settled = true));
    contender.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // B waits for A: it neither wins nor fails before A decides
    holder.commit();
    await holder.done;
    const error = await contender.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFLICT');
  });

  it('lets the waiting booking win when the holder rolls back', async () => {
    const day = '2027-02-02';
    const holder = await holdBooking('00000000-0000-4000-8000-0000000000a2', day);
    const contender = createAppointment(other, seed.practice.id, booking(patientIds[1]!, '14:30', '15:30', day));
    await new Promise((r) => setTimeout(r, 100));
    holder.rollBack();
    await expect(holder.done).rejects.toThrow('gave up');
    await expect(contender).resolves.toMatchObject({ startsAt: at('14:30', day) });
  });
});
