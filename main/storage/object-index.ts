import type { Knex } from 'knex';
import type { BackendKind, Tier } from './store.js';

/**
 * What the storage jobs (tier, verify, migrate, rotate) need from the database's object rows,
 * and nothing more, so they run against the knex table (`KnexObjectIndex`) or an in-memory list
 * in tests. One row = one stored object of one image variant.
 */
export interface StoredObjectRow {
  id: string;
  imageId: string;
  variant: string;
  backend: BackendKind;
  key: string;
  bytes: number;
  sha256: string;
  tier: Tier;
  encryptionKeyId: string | null;
  createdAt: string;
  verifiedAt: string | null;
  /** The later of the patient's last visit and the image's acquisition (ISO); drives tiering. */
  lastUsedAt: string | null;
}

export interface ObjectIndex {
  /** Rows in id order after `afterId`, at most `limit`, optionally only one backend's. */
  page(options: { afterId?: string; limit: number; backend?: BackendKind }): Promise<StoredObjectRow[]>;
  update(id: string, change: Partial<Pick<StoredObjectRow, 'backend' | 'tier' | 'encryptionKeyId' | 'verifiedAt'>>): Promise<void>;
}

/** Iterates every row, page by page. */
export async function* allRows(index: ObjectIndex, backend?: BackendKind, pageSize = 500): AsyncGenerator<StoredObjectRow> {
  let afterId: string | undefined;
  for (;;) {
    const rows = await index.page({ afterId, limit: pageSize, backend });
    yield* rows;
    if (rows.length < pageSize) return;
    afterId = rows[rows.length - 1]!.id;
  }
}

/** An index held in memory (tests, and tools that scan a folder without a database). */
export class MemoryObjectIndex implements ObjectIndex {
  readonly rows = new Map<string, StoredObjectRow>();
  constructor(rows: StoredObjectRow[] = []) {
    for (const row of rows) this.rows.set(row.id, { ...row });
  }
  async page(options: { afterId?: string; limit: number; backend?: BackendKind }): Promise<StoredObjectRow[]> {
    return [...this.rows.values()]
      .filter((r) => (options.afterId === undefined || r.id > options.afterId) && (!options.backend || r.backend === options.backend))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, options.limit)
      .map((r) => ({ ...r }));
  }
  async update(id: string, change: Partial<StoredObjectRow>): Promise<void> {
    const row = this.rows.get(id);
    if (row) this.rows.set(id, { ...row, ...change });
  }
}

/**
 * The `stored_objects` table of main/db (issue 3). `lastUsedAt` is the latest of the image's
 * acquisition and the patient's last appointment that has started; a "last viewed" column can
 * join this when the viewer records views.
 */
export class KnexObjectIndex implements ObjectIndex {
  constructor(private readonly knex: Knex) {}

  async page(options: { afterId?: string; limit: number; backend?: BackendKind }): Promise<StoredObjectRow[]> {
    const now = new Date().toISOString();
    const lastVisit = this.knex('appointments')
      .max('starts_at')
      .where('appointments.patient_id', this.knex.ref('images.patient_id'))
      .andWhere('starts_at', '<=', now)
      .as('last_visit');
    let query = this.knex('stored_objects')
      .join('images', 'images.id', 'stored_objects.image_id')
      .select('stored_objects.*', 'images.acquired_at', lastVisit)
      .orderBy('stored_objects.id')
      .limit(options.limit);
    if (options.afterId) query = query.where('stored_objects.id', '>', options.afterId);
    if (options.backend) query = query.where('stored_objects.backend', options.backend);
    const rows = (await query) as Array<Record<string, unknown>>;
    return rows.map((r) => {
      const dates = [r.acquired_at, r.last_visit].filter((d): d is string => typeof d === 'string' && d.length > 0).sort();
      return {
        id: r.id as string,
        imageId: r.image_id as string,
        variant: r.variant as string,
        backend: r.backend as BackendKind,
        key: r.object_key as string,
        bytes: Number(r.bytes),
        sha256: r.sha256 as string,
        tier: r.tier as Tier,
        encryptionKeyId: (r.encryption_key_id as string | null) ?? null,
        createdAt: r.created_at as string,
        verifiedAt: (r.verified_at as string | null) ?? null,
        lastUsedAt: dates[dates.length - 1] ?? (r.created_at as string),
      };
    });
  }

  /**
   * Object keys of the images of patients booked in [from, to) — what to prefetch into the cache
   * overnight so tomorrow's chairside viewing is instant and works offline. Cancelled and no-show
   * appointments are left out.
   */
  async keysForAppointments(from: string, to: string, variants: readonly string[] = ['preview', 'view']): Promise<string[]> {
    const rows = (await this.knex('stored_objects')
      .join('images', 'images.id', 'stored_objects.image_id')
      .whereIn('images.patient_id', this.knex('appointments').select('patient_id').where('starts_at', '>=', from).andWhere('starts_at', '<', to).whereNotIn('status', ['cancelled', 'no_show']))
      .whereIn('stored_objects.variant', variants as string[])
      .distinct('stored_objects.object_key')
      .orderBy('stored_objects.object_key')) as Array<{ object_key: string }>;
    return rows.map((r) => r.object_key);
  }

  async update(id: string, change: Partial<Pick<StoredObjectRow, 'backend' | 'tier' | 'encryptionKeyId' | 'verifiedAt'>>): Promise<void> {
    const columns: Record<string, unknown> = {};
    if (change.backend !== undefined) columns.backend = change.backend;
    if (change.tier !== undefined) columns.tier = change.tier;
    if (change.encryptionKeyId !== undefined) columns.encryption_key_id = change.encryptionKeyId;
    if (change.verifiedAt !== undefined) columns.verified_at = change.verifiedAt;
    if (Object.keys(columns).length) await this.knex('stored_objects').where({ id }).update(columns);
  }
}
