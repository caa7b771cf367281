import { createHash } from 'node:crypto';
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isStorageError, StorageError } from './errors.js';
import { allRows, type ObjectIndex } from './object-index.js';
import { metaKeys, type ObjectStore } from './store.js';
import { verifyObject } from './verify.js';

/**
 * `cusp storage migrate --to URL`: copies every object of the index from one store to another.
 *
 * For each row: read from the old store (decrypting if it is encrypted), write to the new one
 * (encrypting under a fresh data key if it is), read the copy back and compare its sha256 with the
 * row's, and only then point the row at the new store. A journal (JSON lines, fsynced) records each
 * switched row, so a run killed at any moment resumes where it stopped: a half-written copy is
 * simply written again, and no row ever points at an object that was not verified. The old store
 * is never changed; it stays readable until the practice retires it.
 */
export interface MigrationProgress {
  done: number;
  total: number;
  bytes: number;
  skipped: number;
  failed: Array<{ id: string; key: string; code: string; message: string }>;
}

export function journalPath(dataDir: string, from: ObjectStore, to: ObjectStore): string {
  const id = createHash('sha256').update(`${from.description.location}\n${to.description.location}`).digest('hex').slice(0, 16);
  return join(dataDir, 'storage', 'migrations', `${id}.jsonl`);
}

async function readJournal(path: string): Promise<Set<string>> {
  try {
    const done = new Set<string>();
    for (const line of (await readFile(path, 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as { id: string; state: string };
        if (entry.state === 'switched') done.add(entry.id);
      } catch {
        // A line torn by a crash mid-write: that row is simply done again.
      }
    }
    return done;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
}

async function appendDurably(path: string, line: string) {
  await appendFile(path, line + '\n');
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function migrateObjects(options: {
  index: ObjectIndex;
  from: ObjectStore;
  to: ObjectStore;
  journal: string;
  onProgress?: (progress: MigrationProgress) => void;
  now?: () => Date;
}): Promise<MigrationProgress> {
  const { index, from, to } = options;
  const now = options.now ?? (() => new Date());
  await mkdir(dirname(options.journal), { recursive: true });
  const switched = await readJournal(options.journal);
  // Two passes over the rows in id order (never all in memory): one to count, one to copy.
  // Rows switched meanwhile keep their place in id order, so paging stays stable.
  const belongs = (row: { id: string; backend: string }) => row.backend === from.description.kind || switched.has(row.id);
  let total = 0;
  for await (const row of allRows(index)) if (belongs(row)) total++;
  const progress: MigrationProgress = { done: 0, total, bytes: 0, skipped: 0, failed: [] };
  for await (const row of allRows(index)) {
    if (!belongs(row)) continue;
    if (switched.has(row.id)) {
      progress.done++;
      progress.skipped++;
      options.onProgress?.({ ...progress });
      continue;
    }
    try {
      const { body, info } = await from.get(row.key);
      const tier = to.description.tiers.includes(row.tier) ? row.tier : 'hot';
      const userMetadata = Object.fromEntries(Object.entries(info.metadata).filter(([k]) => !k.startsWith('cusp-')));
      const written = await to.put(row.key, body, { sha256: row.sha256, contentType: info.contentType, metadata: userMetadata, tier });
      const problem = await verifyObject(to, row.key, row.sha256, row.bytes);
      if (problem) throw new StorageError(problem.code === 'IntegrityError' ? 'IntegrityError' : 'Unavailable', `The copy did not verify: ${problem.message}`, { key: row.key });
      await index.update(row.id, {
        backend: to.description.kind,
        tier,
        encryptionKeyId: to.description.encrypted ? (written.metadata[metaKeys.keyId] ?? null) : null,
        verifiedAt: now().toISOString(),
      });
      await appendDurably(options.journal, JSON.stringify({ id: row.id, state: 'switched', at: now().toISOString() }));
      progress.bytes += row.bytes;
    } catch (error) {
      progress.failed.push({ id: row.id, key: row.key, code: isStorageError(error) ? error.code : 'Error', message: (error as Error).message });
      // An unreachable destination stops the run (resume later); other failures are listed and skipped.
      if (isStorageError(error, 'Unavailable')) throw error;
    }
    progress.done++;
    options.onProgress?.({ ...progress });
  }
  return progress;
}
