import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { BackendKind } from '../../../main/storage/store.js';
import { MemoryObjectIndex, type ObjectIndex, type StoredObjectRow } from '../../../main/storage/object-index.js';

/**
 * An object index persisted as one JSON file (written atomically on every change), so a migration
 * killed in a child process leaves rows exactly as a database would.
 */
export class JsonFileIndex implements ObjectIndex {
  constructor(private readonly path: string) {}
  static create(path: string, rows: StoredObjectRow[]): JsonFileIndex {
    writeFileSync(path, JSON.stringify(rows));
    return new JsonFileIndex(path);
  }
  rows(): StoredObjectRow[] {
    return JSON.parse(readFileSync(this.path, 'utf8')) as StoredObjectRow[];
  }
  async page(options: { afterId?: string; limit: number; backend?: BackendKind }) {
    return new MemoryObjectIndex(this.rows()).page(options);
  }
  async update(id: string, change: Partial<StoredObjectRow>) {
    const rows = this.rows().map((r) => (r.id === id ? { ...r, ...change } : r));
    writeFileSync(`${this.path}.tmp`, JSON.stringify(rows));
    renameSync(`${this.path}.tmp`, this.path);
  }
}
