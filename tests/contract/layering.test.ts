// Pins down the layering of ARCHITECTURE.md as a build error: each lint rule fires on a
// forbidden import, and each layer's tsconfig hides the globals that layer may not use.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/paths.js';

const eslint = new ESLint({ cwd: repoRoot });

async function lintMessages(relativePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, relativePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import rules (eslint)', () => {
  it.each([
    ['renderer/features/probe.tsx', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;"],
    ['renderer/features/probe.tsx', "import fs from 'fs';\nexport const x = fs;"],
    ['renderer/features/probe.tsx', "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;"],
    ['renderer/features/probe.tsx', "import { openApp } from '../../main/app/index.js';\nexport const x = openApp;"],
    ['main/app/probe.ts', "import { app } from 'electron';\nexport const x = app;"],
    ['main/app/probe.ts', "import { x } from '../../renderer/main.js';\nexport const y = x;"],
    ['main/app/probe.ts', "import { x } from '../../electron/main.js';\nexport const y = x;"],
    ['contract/probe.ts', "import { createHash } from 'node:crypto';\nexport const x = createHash;"],
    ['contract/probe.ts', "import { Services } from '../main/app/services.js';\nexport type X = Services;"],
  ])('%s: refuses %s', async (file, code) => {
    expect(await lintMessages(file, code)).not.toEqual([]);
  });

  it.each([
    ['renderer/features/probe.tsx', "import { createClient } from '../../contract/client.js';\nexport const x = createClient;"],
    ['main/app/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;"],
    ['electron/probe.ts', "import { app } from 'electron';\nimport { openApp } from '../main/app/index.js';\nexport const x = [app, openApp];"],
  ])('%s: allows %s', async (file, code) => {
    expect(await lintMessages(file, code)).toEqual([]);
  });
});

/** Type-checks one in-memory file with a layer's own tsconfig and returns the diagnostics. */
function typeErrors(layer: 'renderer' | 'contract' | 'main', fileName: string, code: string): string[] {
  const configPath = join(repoRoot, layer, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error(`cannot read ${configPath}`);
  const probe = join(repoRoot, layer, fileName);
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === probe ? ts.createSourceFile(name, code, languageVersion, true) : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === probe || fileExists(name);
  const program = ts.createProgram({ rootNames: [probe], options: { ...config.options, noEmit: true, composite: false, declaration: false }, host });
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(probe))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('layer globals (one tsconfig per layer)', () => {
  it('renderer cannot see Node: node:fs and process do not type-check', () => {
    const errors = typeErrors('renderer', 'probe.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\nexport const b = process.env;");
    expect(errors.join('\n')).toMatch(/node:fs/);
    expect(errors.join('\n')).toMatch(/process/);
  });

  it('contract sees neither Node nor the DOM', () => {
    const errors = typeErrors('contract', 'probe.ts', 'export const a = document.title;\nexport const b = process.env;');
    expect(errors.join('\n')).toMatch(/document/);
    expect(errors.join('\n')).toMatch(/process/);
  });

  it('main cannot see the DOM', () => {
    const errors = typeErrors('main', 'probe.ts', 'export const a = document.title;');
    expect(errors.join('\n')).toMatch(/document/);
  });

  it('a clean file type-checks in each layer (the probe itself is sound)', () => {
    expect(typeErrors('renderer', 'probe.ts', 'export const a = document.title;')).toEqual([]);
    expect(typeErrors('main', 'probe.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;")).toEqual([]);
    expect(typeErrors('contract', 'probe.ts', "import { z } from 'zod';\nexport const a = z.string();")).toEqual([]);
  });
});

