/**
 * Ingest's UI events come from what is committed to the database, so an agent in another process
 * reaches every workstation: `ingest.queue` when counts change, `image.new` once per image filed
 * under a patient (with its appointment), nothing replayed from before the publisher started.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventName } from '../../../contract/index.js';
import { EventBus } from '../../../main/app/events.js';
import { publishIngestEvents } from '../../../main/ingest/events.js';
import { JobQueue } from '../../../main/ingest/queue.js';
import { databases, freshDatabase, type TestDatabase } from '../../support/databases.js';

/** Polls a condition (the publisher runs on a timer); the assertions that follow say what must hold. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

describe.each(databases)('ingest events on %s', (client) => {
  let t: TestDatabase;
  let stop: (() => void) | undefined;
  afterEach(async () => {
    stop?.();
    await t?.close();
  });

  it('pushes queue counts and each new image once, from another connection’s commits', async () => {
    t = await freshDatabase(client);
    const agentQueue = new JobQueue(await t.openAnother());
    const finish = async (outcome: 'indexed' | 'inbox', patientId: string | null) => {
      const [id] = await agentQueue.enqueueFiles(['/x.dcm']);
      await agentQueue.claim('agent');
      const imageId = randomUUID();
      await agentQueue.advance(id!, 'agent', 'done', { outcome, image_id: imageId, patient_id: patientId });
      return imageId;
    };
    const patientId = randomUUID();
    await finish('indexed', patientId); // before the publisher starts: not replayed

    const bus = new EventBus();
    const seen: Array<{ name: EventName; payload: unknown }> = [];
    bus.subscribe((name, payload) => seen.push({ name, payload }));
    stop = publishIngestEvents(t.db, bus, { intervalMs: 50 });
    await waitFor(() => seen.some((e) => e.name === 'ingest.queue'));
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.filter((e) => e.name === 'image.new')).toEqual([]);
    expect(seen.filter((e) => e.name === 'ingest.queue').at(-1)?.payload).toMatchObject({ counts: { done: 1, queued: 0 } });

    const first = await finish('indexed', patientId);
    await finish('inbox', null);
    const second = await finish('indexed', patientId);
    await waitFor(() => seen.filter((e) => e.name === 'image.new').length >= 2);
    await waitFor(() => (seen.filter((e) => e.name === 'ingest.queue').at(-1)?.payload as { counts: { done: number } }).counts.done === 4);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.filter((e) => e.name === 'image.new').map((e) => e.payload)).toEqual([
      { imageId: first, patientId, appointmentId: null },
      { imageId: second, patientId, appointmentId: null },
    ]);
    expect(seen.filter((e) => e.name === 'ingest.queue').at(-1)?.payload).toMatchObject({ counts: { done: 4 } });
  });
});
