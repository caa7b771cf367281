import { createHash } from 'node:crypto';
import { isStorageError } from './errors.js';
import { allRows, type ObjectIndex } from './object-index.js';
import type { ObjectStore } from './store.js';

/**
 * Reads an object back and compares its sha256 with the one recorded at write (for an encrypted
 * store, of the decrypted bytes: every frame is authenticated on the way). Returns the problem,
 * or null when the object is intact.
 */
export async function verifyObject(store: ObjectStore, key: string, sha256: string, bytes?: number): Promise<VerifyProblem | null> {
  try {
    const { body } = await store.get(key);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const actual = hash.digest('hex');
    if (actual !== sha256.toLowerCase() || (bytes !== undefined && size !== bytes)) {
      return { key, code: 'IntegrityError', message: `sha256 ${actual} (${size} bytes), expected ${sha256}${bytes !== undefined ? ` (${bytes} bytes)` : ''}` };
    }
    return null;
  } catch (error) {
    return { key, code: isStorageError(error) ? error.code : 'Error', message: (error as Error).message };
  }
}

export interface VerifyProblem {
  key: string;
  /** NotFound (missing), IntegrityError (different bytes, or will not decrypt), Unavailable, … */
  code: string;
  message: string;
}

export interface VerifyReport {
  checked: number;
  ok: number;
  problems: Array<VerifyProblem & { id: string }>;
}

/**
 * `cusp storage verify`: re-reads every object of this store's rows (or a random `sample`
 * fraction of them), records `verifiedAt` for the good ones and lists the rest.
 */
export async function verifyStore(options: {
  index: ObjectIndex;
  store: ObjectStore;
  sample?: number;
  now?: () => Date;
  onProgress?: (checked: number) => void;
}): Promise<VerifyReport> {
  const report: VerifyReport = { checked: 0, ok: 0, problems: [] };
  const now = options.now ?? (() => new Date());
  for await (const row of allRows(options.index, options.store.description.kind)) {
    if (options.sample !== undefined && Math.random() >= options.sample) continue;
    const problem = await verifyObject(options.store, row.key, row.sha256, row.bytes);
    report.checked++;
    if (problem) {
      report.problems.push({ ...problem, id: row.id });
    } else {
      report.ok++;
      await options.index.update(row.id, { verifiedAt: now().toISOString() });
    }
    options.onProgress?.(report.checked);
  }
  return report;
}
