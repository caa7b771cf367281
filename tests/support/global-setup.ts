import type {} from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';

/**
 * Runs once per test run. Gives every test file a scratch root under the system temp folder
 * (shared data in ../shared/data is read-only in CI), removed at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scratch = mkdtempSync(join(tmpdir(), 'cusp-test-'));
  project.provide('scratchRoot', scratch);
  // One PostgreSQL server per run; each test file makes its own database (tests/support/databases.ts).
  const postgres = await startPostgres();
  project.provide('postgresUrl', postgres.url);
  return async () => {
    await postgres.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    scratchRoot: string;
    /** Superuser URL of the run's PostgreSQL server. */
    postgresUrl: string;
  }
}
