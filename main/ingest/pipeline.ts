import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { silentLogger, type Logger } from '../app/log.js';
import type { DeriveResult } from '../imaging/derive.js';
import { ImagingError } from '../imaging/errors.js';
import { isTransientOrthancError, OrthancNotFoundError, type OrthancClient } from '../orthanc/client.js';
import { indexImage, matchPatient, type IndexData, type PatientMatch, type StoredObjectRef } from './indexer.js';
import { LeaseLostError, orderedId, type IngestJob, type JobQueue } from './queue.js';

/**
 * One ingest job from end to end: fetch → derive → store and verify → index → (purge) → done.
 *
 * Crash safety: the image uuid is chosen once and kept on the job, and object keys are
 * `<practice>/<image-uuid>/<variant>`, so redoing a step overwrites what a crashed attempt wrote
 * instead of leaving orphans. Once every object is verified, what indexing needs is kept on the
 * job (`stored`), so a retry from there touches neither Orthanc nor the store. The index rows,
 * the SOP Instance UID registry entry and the job's state commit in one transaction: an image is
 * indexed exactly once or not at all. Orthanc's copy is deleted (when asked) only after that.
 */

/** The part of main/storage's ObjectStore that ingest needs (its FileStore, S3 and Azure backends fit). */
export interface IngestStore {
  readonly description: { kind: 'file' | 's3' | 'azure' };
  put(key: string, body: Buffer, options?: { contentType?: string; sha256?: string }): Promise<unknown>;
  get(key: string): Promise<{ body: Readable }>;
  delete(key: string): Promise<void>;
}

/** The imaging pipeline (main/imaging `deriveAll`, or `DerivePool.derive` off the main thread). */
export type Derive = (bytes: Uint8Array, expect: 'dicom' | 'any') => Promise<DeriveResult>;

export type OrthancSource = Pick<OrthancClient, 'instance' | 'instanceFile' | 'instanceMetadata' | 'deleteInstance'>;

export interface ImageEvent {
  jobId: string;
  outcome: 'indexed' | 'inbox' | 'duplicate';
  imageId: string | null;
  patientId: string | null;
  appointmentId: string | null;
}

export interface PipelineOptions {
  queue: JobQueue;
  derive: Derive;
  store: IngestStore;
  /** Which practice new images belong to. */
  practiceId: string;
  orthanc?: OrthancSource;
  /** Delete the instance from Orthanc once it is indexed (all objects verified). Default false. */
  purgeFromOrthanc?: boolean;
  log?: Logger;
  onImage?: (event: ImageEvent) => void;
}

/**
 * How a run ended. `waiting`: a dependency (Orthanc, the store, the database) is unreachable —
 * the job waits without losing an attempt and the worker should pause before claiming again.
 */
export type Disposition = 'done' | 'quarantined' | 'failed' | 'waiting' | 'lease-lost' | 'released';

/** A job's file could not be read as an image, or conflicts with one already accepted. */
class Quarantine extends Error {}

/** A dependency is unreachable: the job waits, the worker pauses. */
class Transient extends Error {}

/** Another job already ingested this Orthanc instance (and it was purged since). */
class AlreadyIngested extends Error {
  constructor(readonly imageId: string) {
    super('already ingested by another job');
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A DICOM UID (2.25.<decimal>) derived from bytes, for photos that carry none: the same photo gets the same UID. */
function uidFromHash(hex: string, salt: string): string {
  return `2.25.${BigInt('0x' + sha256(Buffer.from(hex + salt)).slice(0, 30)).toString()}`;
}

export class IngestPipeline {
  private readonly options: PipelineOptions;
  private readonly log: Logger;

  constructor(options: PipelineOptions) {
    this.options = options;
    this.log = options.log ?? silentLogger;
  }

  /** Runs a claimed job to its end or to a recorded failure; never throws for a job's own problems. */
  async run(job: IngestJob, owner: string, signal?: AbortSignal): Promise<Disposition> {
    const { queue } = this.options;
    const log = this.log.child({ jobId: job.id, source: job.source, attempt: job.attempts });
    try {
      await this.steps(job, owner, signal);
      return 'done';
    } catch (error) {
      if (error instanceof LeaseLostError) {
        log.warn('lease lost: another worker has the job');
        return 'lease-lost';
      }
      if (signal?.aborted) {
        await queue.release(job, owner).catch(() => undefined);
        return 'released';
      }
      const message = error instanceof Error ? error.message : String(error);
      try {
        if (error instanceof AlreadyIngested) {
          await queue.advance(job.id, owner, 'done', { outcome: 'duplicate', ...(error.imageId ? { image_id: error.imageId } : {}) });
          this.options.onImage?.({ jobId: job.id, outcome: 'duplicate', imageId: error.imageId || null, patientId: null, appointmentId: null });
          return 'done';
        }
        if (error instanceof Quarantine || error instanceof ImagingError || error instanceof OrthancNotFoundError) {
          const reason = error instanceof ImagingError ? `${error.reason}: ${message}` : message;
          await queue.quarantine(job.id, owner, reason);
          log.warn({ reason }, 'job quarantined');
          return 'quarantined';
        }
        const transient = error instanceof Transient || isTransientOrthancError(error) || isUnavailable(error);
        const result = await queue.fail(job, owner, message, { transient });
        log.warn({ err: message, transient, result }, 'job failed');
        return transient ? 'waiting' : result;
      } catch (recordError) {
        if (recordError instanceof LeaseLostError) return 'lease-lost';
        throw recordError;
      }
    }
  }

  private async steps(job: IngestJob, owner: string, signal?: AbortSignal): Promise<void> {
    const { queue } = this.options;
    if (job.state === 'indexed') {
      // Indexed (or recognised as a duplicate) by an attempt that stopped before purging.
      await this.purgeAndFinish(job, owner, signal);
      return;
    }
    let data: IndexData;
    let imageId: string;
    let thumb: { bytes: Buffer; type: string } | null;
    const stored = job.state === 'stored' && job.indexData && job.imageId;
    if (stored) {
      data = JSON.parse(job.indexData!) as IndexData;
      imageId = job.imageId!;
      const row = (await queue.db.knex('ingest_jobs').where({ id: job.id }).first('thumb200', 'thumb200_type')) as
        | { thumb200: Buffer | null; thumb200_type: string | null }
        | undefined;
      thumb = row?.thumb200 ? { bytes: Buffer.from(row.thumb200), type: row.thumb200_type ?? 'image/jpeg' } : null;
    } else {
      // fetch
      const { bytes, remoteAet } = await this.fetch(job, signal);
      const sha = sha256(bytes);
      imageId = job.imageId ?? orderedId();
      await queue.advance(job.id, owner, 'fetched', { sha256: sha, image_id: imageId, remote_aet: remoteAet });
      job = { ...job, sha256: sha, imageId, remoteAet };
      // derive
      const derived = await this.options.derive(bytes, job.source === 'orthanc' ? 'dicom' : 'any');
      data = this.describe(derived, sha);
      await queue.advance(job.id, owner, 'derived', { sop_instance_uid: data.sopInstanceUid });
      const known = await this.registered(queue.db.knex, data.sopInstanceUid);
      if (known) {
        await this.finishKnown(job, owner, known, sha, signal);
        return;
      }
      // store + verify
      data.objects = await this.storeAll(derived, imageId, signal);
      const thumbnail = derived.derivatives.find((d) => d.variant === 'thumb200');
      thumb = thumbnail ? { bytes: thumbnail.bytes, type: thumbnail.contentType } : null;
      await queue.advance(job.id, owner, 'stored', {
        index_data: JSON.stringify(data),
        thumb200: thumb?.bytes ?? null,
        thumb200_type: thumb?.type ?? null,
      });
    }
    await this.index(job, owner, imageId, data, thumb, signal);
  }

  /** Whether this job ends by deleting its instance from Orthanc (then it passes through `indexed`). */
  private purges(job: IngestJob): boolean {
    return Boolean(this.options.purgeFromOrthanc && this.options.orthanc && job.source === 'orthanc' && job.orthancId);
  }

  /** Deletes Orthanc's copy (every object is verified and indexed by now), then finishes the job. */
  private async purgeAndFinish(job: IngestJob, owner: string, signal?: AbortSignal): Promise<void> {
    if (this.purges(job)) await this.options.orthanc!.deleteInstance(job.orthancId!, { signal });
    await this.options.queue.advance(job.id, owner, 'done');
  }

  private async fetch(job: IngestJob, signal?: AbortSignal): Promise<{ bytes: Buffer; remoteAet: string | null }> {
    if (job.source === 'import') {
      if (!job.sourcePath) throw new Quarantine('import job without a file');
      try {
        return { bytes: await readFile(job.sourcePath), remoteAet: null };
      } catch (error) {
        throw new Quarantine(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    const orthanc = this.options.orthanc;
    if (!orthanc) throw new Transient('Orthanc is not configured on this worker');
    if (!job.orthancId) throw new Quarantine('Orthanc job without an instance id');
    let file;
    try {
      file = await orthanc.instanceFile(job.orthancId, { signal });
    } catch (error) {
      if (!(error instanceof OrthancNotFoundError)) throw error;
      // Gone from Orthanc: purged after another job for the same instance finished (a rescan and
      // the feed both reported it), or deleted by someone before Cusp could fetch it.
      const finishedTwin = await this.options.queue.db
        .knex('ingest_jobs')
        .where({ orthanc_id: job.orthancId, state: 'done' })
        .whereNot({ id: job.id })
        .first('image_id');
      if (finishedTwin) throw new AlreadyIngested(String(finishedTwin.image_id ?? ''));
      throw new Quarantine('the instance was deleted from Orthanc before Cusp could fetch it');
    }
    const metadata = await orthanc.instanceMetadata(job.orthancId, { signal }).catch(() => ({}) as Record<string, string>);
    return { bytes: file.bytes, remoteAet: metadata.RemoteAET ?? null };
  }

  /** What the index needs from the imaging result; photos get UIDs derived from their bytes. */
  private describe(derived: DeriveResult, sha: string): IndexData {
    const m = derived.metadata;
    if (derived.kind === 'dicom') {
      if (!m?.sopInstanceUid) throw new Quarantine('the file has no SOP Instance UID (0008,0018)');
      if (!m.studyInstanceUid || !m.seriesInstanceUid) throw new Quarantine('the file has no Study or Series Instance UID');
    }
    const window = derived.window as { center?: number; width?: number } | undefined;
    return {
      kind: derived.kind,
      sopInstanceUid: m?.sopInstanceUid ?? uidFromHash(sha, 'sop'),
      ...(m?.sopClassUid ? { sopClassUid: m.sopClassUid } : {}),
      studyInstanceUid: m?.studyInstanceUid ?? uidFromHash(sha, 'study'),
      seriesInstanceUid: m?.seriesInstanceUid ?? uidFromHash(sha, 'series'),
      ...(m?.modality ? { modality: m.modality } : {}),
      patient: m?.patient ?? {},
      ...(m?.acquisitionDateTime ? { acquisitionDateTime: m.acquisitionDateTime, studyDate: m.acquisitionDateTime.slice(0, 8) } : {}),
      rows: m?.rows ?? derived.height,
      columns: m?.columns ?? derived.width,
      bitsStored: m?.bitsStored ?? 8,
      photometric: m?.photometric ?? (derived.channels === 3 ? 'RGB' : 'MONOCHROME2'),
      ...(m?.pixelSpacing ? { pixelSpacing: { row: m.pixelSpacing.row, column: m.pixelSpacing.column, source: m.pixelSpacing.source, ...(m.pixelSpacing.magnification ? { magnification: m.pixelSpacing.magnification } : {}) } } : {}),
      ...(typeof window?.center === 'number' && typeof window.width === 'number' ? { window: { center: window.center, width: window.width } } : {}),
      lossy: m?.lossy ?? derived.kind === 'raster',
      teeth: m?.teeth ?? [],
      backend: this.options.store.description.kind,
      objects: [],
    };
  }

  private async registered(knex: Knex, sopInstanceUid: string): Promise<{ sha256: string; image_id: string } | undefined> {
    return (await knex('ingest_images').where({ sop_instance_uid: sopInstanceUid }).first('sha256', 'image_id')) as
      | { sha256: string; image_id: string }
      | undefined;
  }

  /** The same image again → done as a duplicate; different bytes under an accepted UID → quarantined. */
  private async finishKnown(job: IngestJob, owner: string, known: { sha256: string; image_id: string }, sha: string, signal?: AbortSignal): Promise<void> {
    if (known.sha256 !== sha) {
      throw new Quarantine(`SOP Instance UID already accepted for image ${known.image_id} with different content (sha256 ${known.sha256.slice(0, 12)}… ≠ ${sha.slice(0, 12)}…)`);
    }
    // Objects an earlier attempt of this job may have written under its own image uuid are orphans now.
    if (job.imageId && job.imageId !== known.image_id) await this.dropObjects(job.imageId);
    const purge = this.purges(job);
    await this.options.queue.advance(job.id, owner, purge ? 'indexed' : 'done', { outcome: 'duplicate', image_id: known.image_id });
    if (purge) await this.purgeAndFinish(job, owner, signal);
    this.log.info({ jobId: job.id, imageId: known.image_id }, 'duplicate of an image already ingested');
    this.options.onImage?.({ jobId: job.id, outcome: 'duplicate', imageId: known.image_id, patientId: null, appointmentId: null });
  }

  /** Best-effort removal of every variant stored under an image uuid that will not be indexed. */
  private async dropObjects(imageId: string): Promise<void> {
    for (const variant of ['thumb50', 'thumb200', 'preview', 'view', 'master']) {
      await this.options.store.delete(`${this.options.practiceId}/${imageId}/${variant}`).catch(() => undefined);
    }
  }

  /** Writes every object, then reads each back and checks its sha256 before the job may move on. */
  private async storeAll(derived: DeriveResult, imageId: string, signal?: AbortSignal): Promise<StoredObjectRef[]> {
    const { store, practiceId } = this.options;
    const objects = [
      ...derived.derivatives.map((d) => ({ variant: d.variant, bytes: d.bytes, sha256: d.sha256, contentType: d.contentType })),
      { variant: 'master' as const, bytes: derived.master.bytes, sha256: derived.master.sha256, contentType: derived.master.contentType },
    ];
    const refs: StoredObjectRef[] = [];
    for (const object of objects) {
      signal?.throwIfAborted();
      const key = `${practiceId}/${imageId}/${object.variant}`;
      await store.put(key, object.bytes, { contentType: object.contentType, sha256: object.sha256 });
      const { body } = await store.get(key);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of body) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        size += buffer.length;
        hash.update(buffer);
      }
      const actual = hash.digest('hex');
      if (actual !== object.sha256 || size !== object.bytes.length) {
        throw new Error(`the store returned different bytes for ${key} (sha256 ${actual.slice(0, 12)}…, ${size} bytes)`);
      }
      refs.push({ variant: object.variant, key, bytes: size, sha256: actual, contentType: object.contentType, verifiedAt: new Date().toISOString() });
    }
    return refs;
  }

  /**
   * One transaction: the registry entry, patient match, index rows (or the inbox), and the job's
   * new state. Racing with another worker on the same UID, the loser sees the winner's entry.
   */
  private async index(
    job: IngestJob,
    owner: string,
    imageId: string,
    data: IndexData,
    thumb: { bytes: Buffer; type: string } | null,
    signal?: AbortSignal,
  ): Promise<void> {
    const { queue, practiceId } = this.options;
    const purgeNext = this.purges(job);
    const now = new Date().toISOString();
    const result = await queue.db.write(async (trx) => {
      const known = await this.registered(trx, data.sopInstanceUid);
      if (known) return { known };
      await trx('ingest_images').insert({ sop_instance_uid: data.sopInstanceUid, sha256: job.sha256 ?? '', image_id: imageId, job_id: job.id, created_at: now });
      const match: PatientMatch = job.patientId ? { patientId: job.patientId, by: 'chosen' } : await matchPatient(trx, practiceId, data.patient);
      let appointmentId: string | null = null;
      if (match) {
        ({ appointmentId } = await indexImage(trx, { practiceId, patientId: match.patientId, imageId, data, thumb200: thumb?.bytes ?? null, thumbType: thumb?.type ?? null, remoteAet: job.remoteAet, now }));
      }
      const outcome = match ? ('indexed' as const) : ('inbox' as const);
      await queue.advance(job.id, owner, purgeNext ? 'indexed' : 'done', { outcome, patient_id: match?.patientId ?? null }, trx);
      return { outcome, match, appointmentId };
    });
    if ('known' in result && result.known) {
      // Another job indexed this UID after our check: finishKnown drops what we stored.
      await this.finishKnown(job, owner, result.known, job.sha256 ?? '', signal);
      return;
    }
    const { outcome, match, appointmentId } = result as { outcome: 'indexed' | 'inbox'; match: PatientMatch; appointmentId: string | null };
    this.log.info({ jobId: job.id, imageId, outcome, matchedBy: match?.by ?? null, appointmentId }, 'image ingested');
    this.options.onImage?.({ jobId: job.id, outcome, imageId, patientId: match?.patientId ?? null, appointmentId });
    if (purgeNext) await this.purgeAndFinish(job, owner, signal);
  }
}

/** A store or database that cannot be reached now (StorageError Unavailable, SQLite busy, connection refused). */
function isUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'Unavailable' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') return true;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
  }
  return false;
}
