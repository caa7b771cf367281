import type { Knex } from 'knex';
import { isStorageError } from '../storage/errors.js';
import type { ObjectStore } from '../storage/store.js';
import { verifyObject, type VerifyProblem } from '../storage/verify.js';

/**
 * A store migration's last step before the switch. Shared PDFs live in the practice's store
 * (`shares/…`) but are not image objects, so `migrateObjects` does not see them: the PDF of every
 * share not revoked (a new link can be made for it at any time) is copied to the new store and
 * read back against its sha256, so its links keep working once the practice uses the new store.
 * A PDF already on the new store intact is left alone, so a resumed run copies only what is
 * missing. An unreachable store stops the step (`Unavailable`); other failures are listed.
 */
export async function copySharedPdfs(knex: Knex, from: ObjectStore, to: ObjectStore): Promise<{ copied: number; problems: VerifyProblem[] }> {
  const rows = (await knex('shares').whereNull('revoked_at').orderBy('id').select('object_key', 'sha256', 'bytes')) as Array<{ object_key: string; sha256: string; bytes: number }>;
  let copied = 0;
  const problems: VerifyProblem[] = [];
  for (const row of rows) {
    if (!(await verifyObject(to, row.object_key, row.sha256, row.bytes))) continue;
    try {
      const { body } = await from.get(row.object_key);
      await to.put(row.object_key, body, { contentType: 'application/pdf', sha256: row.sha256 });
    } catch (error) {
      if (isStorageError(error, 'Unavailable')) throw error;
      problems.push({ key: row.object_key, code: isStorageError(error) ? error.code : 'Error', message: (error as Error).message });
      continue;
    }
    const problem = await verifyObject(to, row.object_key, row.sha256, row.bytes);
    if (problem) problems.push(problem);
    else copied++;
  }
  return { copied, problems };
}
