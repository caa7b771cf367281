import { silentLogger, type Logger } from '../app/log.js';
import { sleep, type OrthancClient, type OrthancSystem } from './client.js';

/**
 * The change-feed follower: turns every `NewInstance` Orthanc records into an ingest job.
 *
 * Exactly-once hand-over rests on the sink: `enqueue(instances, cursor)` writes the jobs and
 * the new cursor in ONE transaction, so after a crash the follower resumes from the last cursor
 * that was committed together with its jobs — nothing skipped, nothing enqueued twice (the sink
 * also ignores an Orthanc instance it already has a job for, which makes rescans idempotent).
 *
 * Orthanc being reset (a new database: its sequence starts again at 0) is noticed when `Last`
 * goes below the cursor (which also happens when the newest changes were deleted with their
 * instances, e.g. by a purge: the rescan is then cheap, Orthanc holding few instances), or when `/system` describes a different Orthanc than the one the
 * cursor belongs to. Then every instance Orthanc holds is listed and enqueued, and the cursor
 * restarts at Orthanc's current last change. A reset that already received more changes than
 * the old cursor while nobody was looking cannot be told from the change log alone; a rescan
 * at start-up (`rescanOnStart`) covers that at the cost of listing every instance once.
 */

/** One instance Orthanc has that should become an ingest job. */
export interface InstanceChange {
  orthancId: string;
  /** The change's sequence number, or null when found by a rescan. */
  seq: number | null;
}

/** Where the follower is in one Orthanc's change log. */
export interface FollowerCursor {
  seq: number;
  /** Which Orthanc the sequence belongs to (see `orthancIdentity`). */
  orthanc: string;
}

export interface JobSink {
  /** The cursor committed by the last `enqueue`, or null before the first one. */
  cursor(): Promise<FollowerCursor | null>;
  /**
   * Persists a job per instance (ignoring instances it already has a job for) and the cursor,
   * in one transaction: both are committed or neither is.
   */
  enqueue(instances: InstanceChange[], cursor: FollowerCursor): Promise<void>;
}

export type FollowerClient = Pick<OrthancClient, 'system' | 'changes' | 'instances' | 'lastChangeSeq'>;

export interface FollowerOptions {
  client: FollowerClient;
  sink: JobSink;
  log?: Logger;
  /** Changes per `/changes` call. Default 200. */
  pageSize?: number;
  /** Delay between polls while there is work. Default 20 ms. */
  busyDelayMs?: number;
  /** Delay between polls when Orthanc has nothing new. Default 250 ms (one loopback call; it bounds ingest latency). */
  idleDelayMs?: number;
  /** Backoff while Orthanc is unreachable: from `idleDelayMs` doubling up to this. Default 30 s. */
  maxBackoffMs?: number;
  /** How often `/system` is compared with the cursor's Orthanc. Default 60 s. */
  identityCheckMs?: number;
  /** Instances per `/instances` page during a rescan. Default 1000. */
  rescanPageSize?: number;
  rescanOnStart?: boolean;
  /** Called after jobs were committed, e.g. to wake the workers. */
  onEnqueued?: (count: number) => void;
}

export interface PollResult {
  /** Instances handed to the sink by this poll. */
  enqueued: number;
  /** True when Orthanc has nothing beyond the cursor. */
  caughtUp: boolean;
  rescanned: boolean;
}

export interface FollowerStatus {
  cursor: FollowerCursor | null;
  reachable: boolean | null;
  lastError: string | null;
  lastPollAt: string | null;
}

/** What identifies one Orthanc database as far as its REST API tells. */
export function orthancIdentity(system: OrthancSystem): string {
  return [system.Name, system.DicomAet, `db${system.DatabaseVersion}`, system.DatabaseBackendPlugin ?? 'builtin'].join('|');
}

export class ChangeFollower {
  private readonly client: FollowerClient;
  private readonly sink: JobSink;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly busyDelayMs: number;
  private readonly idleDelayMs: number;
  private readonly maxBackoffMs: number;
  private readonly identityCheckMs: number;
  private readonly rescanPageSize: number;
  private readonly onEnqueued: (count: number) => void;
  private cursor: FollowerCursor | null = null;
  private loaded = false;
  private identityCheckedAt = 0;
  private needsRescan: boolean;
  private status: FollowerStatus = { cursor: null, reachable: null, lastError: null, lastPollAt: null };
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;

  constructor(options: FollowerOptions) {
    this.client = options.client;
    this.sink = options.sink;
    this.log = options.log ?? silentLogger;
    this.pageSize = options.pageSize ?? 200;
    this.busyDelayMs = options.busyDelayMs ?? 20;
    this.idleDelayMs = options.idleDelayMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.identityCheckMs = options.identityCheckMs ?? 60_000;
    this.rescanPageSize = options.rescanPageSize ?? 1000;
    this.needsRescan = options.rescanOnStart ?? false;
    this.onEnqueued = options.onEnqueued ?? (() => undefined);
  }

  getStatus(): FollowerStatus {
    return { ...this.status, cursor: this.cursor };
  }

  /**
   * One step: reads one page of changes after the cursor and commits its new instances with the
   * new cursor; or, when Orthanc was reset or is new to us, a full rescan.
   */
  async pollOnce(signal?: AbortSignal): Promise<PollResult> {
    if (!this.loaded) {
      this.cursor = await this.sink.cursor();
      this.loaded = true;
    }
    let identity = this.cursor?.orthanc ?? null;
    if (!this.cursor || this.needsRescan || Date.now() - this.identityCheckedAt >= this.identityCheckMs) {
      identity = orthancIdentity(await this.client.system({ signal }));
      this.identityCheckedAt = Date.now();
      if (!this.cursor) return this.rescan(identity, 'first start', signal);
      if (this.needsRescan) return this.rescan(identity, 'asked for', signal);
      if (identity !== this.cursor.orthanc) return this.rescan(identity, 'a different Orthanc answers', signal);
    }
    const cursor = this.cursor;
    const page = await this.client.changes(cursor.seq, this.pageSize, { signal });
    if (page.Changes.length === 0 && page.Last < cursor.seq) {
      return this.rescan(identity ?? cursor.orthanc, 'the change sequence went backwards', signal);
    }
    const instances = page.Changes.filter((c) => c.ChangeType === 'NewInstance' && c.ResourceType === 'Instance').map(
      (c): InstanceChange => ({ orthancId: c.ID, seq: c.Seq }),
    );
    const last = page.Changes.at(-1);
    const seq = last ? last.Seq : Math.max(cursor.seq, page.Last);
    if (seq !== cursor.seq || instances.length > 0) {
      const next = { seq, orthanc: cursor.orthanc };
      await this.sink.enqueue(instances, next);
      this.cursor = next;
      if (instances.length > 0) this.onEnqueued(instances.length);
    }
    return { enqueued: instances.length, caughtUp: page.Done, rescanned: false };
  }

  /**
   * Lists every instance and enqueues it. The cursor moves to Orthanc's last change (read before
   * listing, so an instance arriving meanwhile is both listed and in the feed: the sink keeps one)
   * only with the last page; a crash mid-rescan leaves the old cursor, so the rescan runs again.
   */
  private async rescan(identity: string, reason: string, signal?: AbortSignal): Promise<PollResult> {
    this.log.info({ reason }, 'rescanning every instance in Orthanc');
    const lastSeq = await this.client.lastChangeSeq({ signal });
    const keep = this.cursor ?? { seq: 0, orthanc: '' };
    let since = 0;
    let enqueued = 0;
    for (;;) {
      const ids = await this.client.instances({ since, limit: this.rescanPageSize }, { signal });
      const final = ids.length < this.rescanPageSize;
      const cursor = final ? { seq: lastSeq, orthanc: identity } : keep;
      await this.sink.enqueue(ids.map((orthancId) => ({ orthancId, seq: null })), cursor);
      enqueued += ids.length;
      since += ids.length;
      if (final) {
        this.cursor = cursor;
        break;
      }
    }
    this.needsRescan = false;
    this.log.info({ listed: enqueued, cursor: lastSeq }, 'rescan finished');
    if (enqueued > 0) this.onEnqueued(enqueued);
    return { enqueued, caughtUp: false, rescanned: true };
  }

  /** Asks for a rescan at the next poll (e.g. from `cusp agent --rescan`). */
  requestRescan(): void {
    this.needsRescan = true;
  }

  /** Polls until `stop()`: fast while there is work, slowly when idle, backing off while Orthanc is down. */
  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = (async () => {
      let failures = 0;
      while (!abort.signal.aborted) {
        let delay: number;
        try {
          const result = await this.pollOnce(abort.signal);
          if (failures > 0) this.log.info({ failures }, 'Orthanc answers again');
          failures = 0;
          this.status = { ...this.status, reachable: true, lastError: null, lastPollAt: new Date().toISOString() };
          delay = result.caughtUp && result.enqueued === 0 ? this.idleDelayMs : this.busyDelayMs;
        } catch (error) {
          if (abort.signal.aborted) break;
          failures += 1;
          // After a failure, compare identities at once: Orthanc may come back as a new one.
          this.identityCheckedAt = 0;
          const message = error instanceof Error ? error.message : String(error);
          this.status = { ...this.status, reachable: false, lastError: message, lastPollAt: new Date().toISOString() };
          delay = Math.min(this.maxBackoffMs, this.idleDelayMs * 2 ** Math.min(failures - 1, 16));
          delay = Math.round(delay / 2 + (Math.random() * delay) / 2);
          this.log.warn({ failures, delayMs: delay, err: message }, 'following Orthanc failed; will retry');
        }
        await sleep(delay, abort.signal).catch(() => undefined);
      }
    })();
  }

  /** Stops polling; resolves once the current poll (and its commit, if any) has finished or aborted. */
  async stop(): Promise<void> {
    this.abort?.abort(new Error('follower stopped'));
    await this.loop;
    this.loop = null;
    this.abort = null;
  }
}
