/**
 * The durable ingest queue on SQLite and PostgreSQL: claims are exclusive (also between two
 * connections claiming at once), leases expire and are reclaimed, transitions need the lease,
 * failures back off and end in quarantine, transient failures never do, and the follower's sink
 * commits jobs and cursor together without duplicating an Orthanc instance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JobQueue, LeaseLostError } from '../../../main/ingest/queue.js';
import { databases, freshDatabase, type TestDatabase } from '../../support/databases.js';

describe.each(databases)('ingest queue on %s', (client) => {
  let t: TestDatabase;
  afterEach(async () => t?.close());

  /** A queue whose clock the test moves. */
  async function queueWithClock(options: ConstructorParameters<typeof JobQueue>[1] = {}) {
    t = await freshDatabase(client);
    const clock = { now: Date.parse('2026-11-28T16:00:00.000Z') };
    const queue = new JobQueue(t.db, { leaseMs: 10_000, backoff: { baseMs: 1000, maxMs: 60_000 }, transientDelayMs: 2000, ...options, now: () => new Date(clock.now) });
    return { queue, clock };
  }

  it('hands each job to one worker, reclaims it when the lease expires, and refuses the old owner', async () => {
    const { queue, clock } = await queueWithClock();
    const [a, b] = await queue.enqueueFiles(['/x/a.dcm', '/x/b.dcm']);
    const first = await queue.claim('w1');
    const second = await queue.claim('w2');
    expect(first?.id).toBe(a);
    expect(second?.id).toBe(b);
    expect(await queue.claim('w3')).toBeNull();

    await queue.advance(a!, 'w1', 'fetched', { sha256: 'ab'.repeat(32) });
    clock.now += 11_000; // w1 and w2 stop renewing: both leases expire
    const reclaimed = await queue.claim('w3');
    expect((await queue.claim('w4'))?.id).toBe(b);
    expect(await queue.renew(b!, 'w2'), 'w2 lost b to w4').toBe(false);
    expect(reclaimed).toMatchObject({ id: a, state: 'fetched', attempts: 2, leaseOwner: 'w3', sha256: 'ab'.repeat(32) });
    await expect(queue.advance(a!, 'w1', 'derived')).rejects.toBeInstanceOf(LeaseLostError);
    expect(await queue.renew(a!, 'w3')).toBe(true);
    await queue.advance(a!, 'w3', 'done', { outcome: 'indexed' });
    expect(await queue.get(a!)).toMatchObject({ state: 'done', outcome: 'indexed', leaseOwner: null });
    await expect(queue.advance(a!, 'w3', 'indexed')).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('backs off after failures, quarantines after maxAttempts, and does not count transient failures', async () => {
    const { queue, clock } = await queueWithClock({ maxAttempts: 3 });
    const [id] = await queue.enqueueFiles(['/x/a.dcm']);
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const job = (await queue.claim('w'))!;
      expect(job.attempts).toBe(attempt);
      expect(await queue.fail(job, 'w', 'decoder hiccup', { transient: false })).toBe('failed');
      expect(await queue.claim('w'), 'not before its retry time').toBeNull();
      clock.now += 60_000;
    }
    // Ten transient failures (Orthanc down) leave the attempt count alone.
    for (let i = 0; i < 10; i += 1) {
      const job = (await queue.claim('w'))!;
      expect(job.attempts).toBe(3);
      await queue.fail(job, 'w', 'Orthanc cannot be reached', { transient: true });
      clock.now += 2000;
    }
    const last = (await queue.claim('w'))!;
    expect(await queue.fail(last, 'w', 'decoder hiccup', { transient: false })).toBe('quarantined');
    expect(await queue.get(id!)).toMatchObject({ state: 'quarantined', reason: expect.stringContaining('decoder hiccup') });
    clock.now += 3_600_000;
    expect(await queue.claim('w')).toBeNull();
    expect((await queue.counts()).quarantined).toBe(1);
  });

  it('quarantines a job that kills its worker every time, and a released job costs no attempt', async () => {
    const { queue, clock } = await queueWithClock({ maxAttempts: 2 });
    const [poison, fine] = await queue.enqueueFiles(['/x/poison.dcm', '/x/fine.dcm']);
    const held = (await queue.claim('w'))!;
    expect(held.id).toBe(poison);
    const other = (await queue.claim('w'))!;
    await queue.release(other, 'w');
    expect((await queue.get(fine!))!.attempts).toBe(0);
    await queue.advance(fine!, 'w', 'fetched').catch((e: unknown) => expect(e).toBeInstanceOf(LeaseLostError));

    clock.now += 11_000;
    expect((await queue.claim('w'))!.id).toBe(poison); // second attempt, crashes again
    clock.now += 11_000;
    const next = await queue.claim('w');
    expect(next?.id).toBe(fine);
    expect(await queue.get(poison!)).toMatchObject({ state: 'quarantined', reason: expect.stringMatching(/never finished/) });
  });

  it('never gives one job to two connections claiming at the same time', async () => {
    t = await freshDatabase(client);
    const queues = [new JobQueue(t.db), new JobQueue(await t.openAnother()), new JobQueue(await t.openAnother())];
    const ids = await queues[0]!.enqueueFiles(Array.from({ length: 30 }, (_, i) => `/x/${i}.dcm`));
    const claimed: string[] = [];
    await Promise.all(
      queues.map(async (queue, n) => {
        for (;;) {
          const job = await queue.claim(`w${n}`);
          if (!job) return;
          claimed.push(job.id);
          await queue.advance(job.id, `w${n}`, 'done');
        }
      }),
    );
    expect(claimed.sort()).toEqual([...ids].sort());
    expect((await queues[0]!.counts()).done).toBe(30);
  });

  it('commits the follower cursor with its jobs and ignores an instance it already has', async () => {
    const { queue } = await queueWithClock();
    const sink = queue.sink();
    expect(await sink.cursor()).toBeNull();
    await sink.enqueue([{ orthancId: 'aaaa-1', seq: 1 }, { orthancId: 'bbbb-2', seq: 5 }], { seq: 8, orthanc: 'o1' });
    // A replayed page, then a rescan listing an instance with an open job and a new instance.
    await sink.enqueue([{ orthancId: 'bbbb-2', seq: 5 }], { seq: 8, orthanc: 'o1' });
    await sink.enqueue([{ orthancId: 'bbbb-2', seq: null }, { orthancId: 'cccc-3', seq: null }], { seq: 9, orthanc: 'o2' });
    expect(await sink.cursor()).toEqual({ seq: 9, orthanc: 'o2' });
    const rows = await t.db.knex('ingest_jobs').select('orthanc_id').orderBy('orthanc_id');
    expect(rows.map((r: { orthanc_id: string }) => r.orthanc_id)).toEqual(['aaaa-1', 'bbbb-2', 'cccc-3']);
    // A new change for an instance whose job is still open adds nothing (Orthanc holds one copy)…
    await sink.enqueue([{ orthancId: 'aaaa-1', seq: 11 }], { seq: 11, orthanc: 'o2' });
    const once = (await t.db.knex('ingest_jobs').where({ orthanc_id: 'aaaa-1' }).count({ n: '*' }).first()) as { n: number | string };
    expect(Number(once.n)).toBe(1);
    const first = (await queue.claim('w'))!;
    expect(first.orthancId).toBe('aaaa-1');
    await queue.advance(first.id, 'w', 'done');
    // …but once it is finished, the same instance under a new change (sent again after a purge) is a new job.
    await sink.enqueue([{ orthancId: 'aaaa-1', seq: 12 }], { seq: 12, orthanc: 'o2' });
    const again = (await t.db.knex('ingest_jobs').where({ orthanc_id: 'aaaa-1' }).count({ n: '*' }).first()) as { n: number | string };
    expect(Number(again.n)).toBe(2);

    // A cursor the database refuses (NOT NULL / bigint) fails the transaction after the jobs
    // were inserted: neither the jobs nor the cursor remain.
    await expect(sink.enqueue([{ orthancId: 'dddd-4', seq: 13 }], { seq: Number.NaN, orthanc: 'o2' })).rejects.toThrow();
    expect(await sink.cursor()).toEqual({ seq: 12, orthanc: 'o2' });
    expect(await t.db.knex('ingest_jobs').where({ orthanc_id: 'dddd-4' }).first()).toBeUndefined();
  });
});
