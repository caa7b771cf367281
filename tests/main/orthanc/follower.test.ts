/**
 * The change-feed follower against a real Orthanc fed by storescu, with an in-memory sink that
 * commits jobs and cursor together (as the database sink does in one transaction). Pins down:
 * every NewInstance becomes exactly one job; a restart resumes from the committed cursor; a
 * failed commit loses nothing; an Orthanc reset is noticed and rescanned; an outage is waited out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrthancClient } from '../../../main/orthanc/client.js';
import { ChangeFollower, type FollowerCursor, type InstanceChange, type JobSink } from '../../../main/orthanc/follower.js';
import { distinctCopies } from '../../support/dicom.js';
import { startOrthanc, type OrthancServer } from '../../support/orthanc.js';
import { dicomData } from '../../support/paths.js';

/** Jobs keyed by Orthanc id, plus the cursor, replaced together or not at all. */
class MemorySink implements JobSink {
  committed: { jobs: Map<string, InstanceChange>; cursor: FollowerCursor | null } = { jobs: new Map(), cursor: null };
  /** Every instance handed over by the change feed (not rescans): each must appear once. */
  fromFeed: string[] = [];
  failNextCommit = false;

  async cursor(): Promise<FollowerCursor | null> {
    return this.committed.cursor;
  }

  async enqueue(instances: InstanceChange[], cursor: FollowerCursor): Promise<void> {
    if (this.failNextCommit) {
      this.failNextCommit = false;
      throw new Error('database went away before commit');
    }
    const jobs = new Map(this.committed.jobs);
    for (const instance of instances) if (!jobs.has(instance.orthancId)) jobs.set(instance.orthancId, instance);
    this.committed = { jobs, cursor };
    this.fromFeed.push(...instances.filter((i) => i.seq !== null).map((i) => i.orthancId));
  }
}

let orthanc: OrthancServer;
let client: OrthancClient;

const dental = (name: string) => dicomData('dental', name);

async function drain(follower: ChangeFollower): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    const result = await follower.pollOnce();
    if (result.caughtUp && result.enqueued === 0) return;
  }
  throw new Error('follower never caught up');
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  orthanc = await startOrthanc();
  client = new OrthancClient({ url: orthanc.url, username: orthanc.username, password: orthanc.password, backoff: { baseMs: 20, maxMs: 100 }, retries: 1 });
});
afterAll(async () => {
  await orthanc?.stop();
});

describe('ChangeFollower', () => {
  it('enqueues each new instance once, resumes from the committed cursor, and survives a failed commit', async () => {
    const sink = new MemorySink();
    // First start on an Orthanc that already holds images: a rescan finds them.
    await orthanc.storescu(dental('IO_bitewing01_8bit_ExplicitVRLE.dcm'));
    const first = new ChangeFollower({ client, sink, pageSize: 3 });
    const initial = await first.pollOnce();
    expect(initial.rescanned).toBe(true);
    expect(sink.committed.jobs.size).toBe(1);
    expect(sink.committed.cursor?.seq).toBe(await client.lastChangeSeq());

    // Small pages: the follower needs several polls; every NewInstance lands once.
    await orthanc.storescu(await distinctCopies(dental('IO_bitewing01_8bit_JPEGBaseline.dcm'), 3));
    await drain(first);
    expect([...sink.committed.jobs.keys()].sort()).toEqual((await client.instances({ since: 0, limit: 100 })).sort());
    expect(sink.fromFeed).toHaveLength(3);

    // A commit that fails leaves the cursor where it was; a new follower (a restarted agent)
    // picks the same changes up, and nothing already committed comes again.
    await orthanc.storescu(dental('IO_bitewing01_12bit_J2K_Lossless.dcm'));
    // The same image sent again (another transfer syntax, same SOP Instance UID): Orthanc keeps
    // the first and records no change, so no job either.
    await orthanc.storescu(dental('IO_bitewing01_12bit_RLE.dcm'));
    const cursorBefore = sink.committed.cursor;
    sink.failNextCommit = true;
    await expect(first.pollOnce()).rejects.toThrow('database went away');
    expect(sink.committed.cursor).toEqual(cursorBefore);

    const restarted = new ChangeFollower({ client, sink, pageSize: 3 });
    await drain(restarted);
    expect(sink.committed.jobs.size).toBe(5);
    expect(new Set(sink.fromFeed).size).toBe(sink.fromFeed.length);
    expect(sink.fromFeed).toHaveLength(4);
  });

  it('notices that Orthanc was reset and rescans it', async () => {
    const sink = new MemorySink();
    const follower = new ChangeFollower({ client, sink });
    await drain(follower);
    const oldCursor = sink.committed.cursor!.seq;
    expect(oldCursor).toBeGreaterThan(4);

    await orthanc.reset();
    await orthanc.start();
    await orthanc.storescu(dicomData('compressed', 'pydicomdata_RG3_J2KR.dcm'));
    const [crId] = await client.instances({ since: 0, limit: 10 });
    expect(await client.lastChangeSeq()).toBeLessThan(oldCursor);

    const result = await follower.pollOnce();
    expect(result.rescanned).toBe(true);
    expect(sink.committed.jobs.has(crId!)).toBe(true);
    expect(sink.committed.cursor?.seq).toBe(await client.lastChangeSeq());

    // Afterwards the follower follows the new sequence normally.
    await orthanc.storescu(dicomData('compressed', 'fodicom_CR-ModalitySequenceLUT.dcm'));
    await drain(follower);
    expect(sink.committed.jobs.size).toBe((await client.instances({ since: 0, limit: 100 })).length + 5);
  });

  it('keeps polling through an Orthanc outage and catches up when it returns', async () => {
    const sink = new MemorySink();
    let woken = 0;
    const follower = new ChangeFollower({
      client,
      sink,
      idleDelayMs: 50,
      maxBackoffMs: 200,
      onEnqueued: (n) => (woken += n),
    });
    follower.start();
    try {
      await waitFor(() => sink.committed.cursor !== null, 'the first rescan');
      const before = sink.committed.jobs.size;
      await orthanc.stop();
      await waitFor(() => follower.getStatus().reachable === false, 'the follower to notice the outage');
      expect(follower.getStatus().lastError).toMatch(/cannot be reached/);
      await orthanc.start();
      await orthanc.storescu(dicomData('compressed', 'pydicomdata_RG1_J2KI.dcm'));
      await waitFor(() => sink.committed.jobs.size === before + 1, 'the new instance after the outage');
      expect(follower.getStatus().reachable).toBe(true);
      expect(woken).toBe(before + 1);
    } finally {
      await follower.stop();
    }
  });
});
