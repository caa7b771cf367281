import { openStore } from '../../main/storage/open.js';
import { MemorySecretStore } from '../../main/storage/secrets.js';
import type { ObjectStore } from '../../main/storage/store.js';
import { scratchDir } from './paths.js';

/** main/storage's file store in `root` (a fresh scratch folder by default), as ingest uses it. */
export async function fileStore(root = scratchDir('objects')): Promise<{ store: ObjectStore; root: string }> {
  const store = await openStore({ url: `file://${root}`, dataDir: root, secrets: new MemorySecretStore() });
  return { store, root };
}
