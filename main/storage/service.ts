import { join } from 'node:path';
import type { ComponentHealth } from '../../contract/index.js';
import { CachedStore } from './cache.js';
import { isStorageError } from './errors.js';
import { openStore, type ResidencyPolicy } from './open.js';
import { OutboxStore } from './outbox.js';
import type { SecretStore } from './secrets.js';
import type { ObjectStore } from './store.js';

/**
 * The image store as the app uses it, built from `store.url`: reads go through the LRU disk cache,
 * writes through the outbox, then (encrypted for cloud stores) to the backend.
 *
 *   CachedStore → OutboxStore → [EncryptedStore →] file | s3 | azure
 *
 * The composition root (main/app/services.ts) opens one, wires `health()` into the `store`
 * probe and `pendingUploads()` into `ingest.outbox`, and calls `startDraining()` for long-running
 * front ends (Electron, `cusp serve`, `cusp agent`).
 */
export interface StorageService {
  /** Read and write images here. */
  readonly store: ObjectStore;
  /** The backend itself (no cache, no outbox): for verify, tier, migrate and rotate jobs. */
  readonly backend: ObjectStore;
  readonly outbox: OutboxStore;
  readonly cache: CachedStore;
  health(): Promise<ComponentHealth>;
  pendingUploads(): Promise<number>;
  startDraining(intervalMs?: number): () => void;
  close(): Promise<void>;
}

export interface OpenStorageOptions {
  dataDir: string;
  url: string;
  secrets: SecretStore;
  residency?: ResidencyPolicy;
  /** Disk cache bound in bytes (default 20 GB). */
  cacheBytes?: number;
  /** Origin of `cusp serve`, for the file store's signed URLs. */
  publicUrl?: string;
}

export async function openStorage(options: OpenStorageOptions): Promise<StorageService> {
  const backend = await openStore({ url: options.url, dataDir: options.dataDir, secrets: options.secrets, residency: options.residency, publicUrl: options.publicUrl });
  const outbox = new OutboxStore(backend, join(options.dataDir, 'storage', 'outbox'));
  const cache = new CachedStore(outbox, join(options.dataDir, 'storage', 'cache'), options.cacheBytes ?? 20e9);
  return {
    store: cache,
    backend,
    outbox,
    cache,
    health: () => storeHealth(backend, outbox),
    pendingUploads: () => outbox.pending(),
    startDraining: (intervalMs) => outbox.startDraining(intervalMs),
    close: () => backend.close(),
  };
}

/** The `store` health probe: one cheap call; a store that answers again drains the outbox. */
export async function storeHealth(backend: ObjectStore, outbox?: OutboxStore): Promise<ComponentHealth> {
  const where = backend.description.location;
  try {
    if (backend.description.kind === 'file') {
      // A missing key answers NotFound only when the folder is there: O(1), unlike listing a disk.
      await backend.head('cusp-health-probe').catch((error: unknown) => {
        if (!isStorageError(error, 'NotFound')) throw error;
      });
    } else {
      // Listing needs only s3:ListBucket / container read; a HEAD of a missing key can say 403.
      await backend.list({ limit: 1 });
    }
    if (outbox && (await outbox.pending()) > 0) void outbox.drain().catch(() => undefined);
    return { state: 'ok' };
  } catch (error) {
    const waiting = outbox ? await outbox.pending().catch(() => 0) : 0;
    const queued = waiting ? ` ${waiting} image(s) wait on this computer and will upload when it returns.` : '';
    if (isStorageError(error, 'AccessDenied')) return { state: 'unavailable', message: `The image store ${where} refuses the saved credentials.${queued}` };
    return { state: 'unavailable', message: `The image store ${where} cannot be reached.${queued}` };
  }
}
