import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/** The project root (this repository). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Test images with provenance, shared with every developer and CI. Read-only: never write here. */
export const sharedData = process.env.CUSP_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');

export const dicomData = (...parts: string[]) => join(sharedData, 'dicom', ...parts);
export const dentalImages = (...parts: string[]) => join(sharedData, 'dental-images', ...parts);

/** A fresh folder for one test's outputs, removed after the run. */
export function scratchDir(prefix = 'scratch'): string {
  let root: string;
  try {
    root = inject('scratchRoot');
  } catch {
    root = tmpdir();
  }
  return mkdtempSync(join(root ?? tmpdir(), `${prefix}-`));
}
