// Runs one migration in its own process (so the test can kill it): node --import tsx migrate-child.ts DATA_DIR FROM_URL TO_URL
import { journalPath, migrateObjects } from '../../../main/storage/migrate.js';
import { openStore } from '../../../main/storage/open.js';
import { FileSecretStore } from '../../../main/storage/secrets.js';
import { JsonFileIndex } from './json-index.js';

const [dataDir, fromUrl, toUrl] = process.argv.slice(2) as [string, string, string];
const secrets = FileSecretStore.inDataDir(dataDir);
const from = await openStore({ url: fromUrl, dataDir, secrets, residency: 'canada', access: 'read' });
const to = await openStore({ url: toUrl, dataDir, secrets, residency: 'canada' });
const result = await migrateObjects({
  index: new JsonFileIndex(`${dataDir}/index.json`),
  from,
  to,
  journal: journalPath(dataDir, from, to),
  onProgress: (p) => console.log(`done ${p.done}/${p.total}`),
});
console.log(JSON.stringify({ result: { done: result.done, skipped: result.skipped, failed: result.failed.length } }));
await from.close();
await to.close();
