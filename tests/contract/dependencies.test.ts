// Pins down what the packaged app ships: electron-builder copies only `dependencies`, so every
// package that main/, electron/ or contract/ imports (or requires) must be one of them, and the
// renderer's packages (bundled by Vite into dist/renderer) stay out of them.
import { builtinModules } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/paths.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(c|m)?tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Package names a file imports: `from 'x'`, `import('x')`, `require('x')` (bare specifiers only). */
function packagesOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

const importedBy = (layer: string) => new Set(sources(join(repoRoot, layer)).flatMap(packagesOf));

describe('package.json dependencies', () => {
  it('include every package main/, electron/ and contract/ import (Electron itself excepted)', () => {
    const needed = new Set([...importedBy('main'), ...importedBy('electron'), ...importedBy('contract')]);
    needed.delete('electron');
    const missing = [...needed].filter((name) => !(name in manifest.dependencies)).sort();
    expect(missing, 'imported at run time but not in dependencies').toEqual([]);
  });

  it('leave out packages only the renderer uses (Vite bundles them)', () => {
    const runtime = new Set([...importedBy('main'), ...importedBy('electron'), ...importedBy('contract')]);
    const rendererOnly = [...importedBy('renderer')].filter((name) => !runtime.has(name) && name in manifest.dependencies).sort();
    expect(rendererOnly, 'renderer-only packages in dependencies').toEqual([]);
  });
});
