import type {} from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Runs once per test run. Gives every test file a scratch root under the system temp folder
 * (shared data in ../shared/data is read-only in CI), removed at the end.
 */
export default function setup(project: TestProject): () => void {
  const scratch = mkdtempSync(join(tmpdir(), 'cusp-test-'));
  project.provide('scratchRoot', scratch);
  return () => rmSync(scratch, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    scratchRoot: string;
  }
}
