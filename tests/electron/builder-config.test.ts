// Pins down the packaging configuration: electron-builder's own loader and schema validation
// accept electron-builder.yml (packaging cannot run here), a wrong key or value is rejected, and
// every native module the app ships is unpacked from the asar archive.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { repoRoot, scratchDir } from '../support/paths.js';

const require = createRequire(import.meta.url);
type Configuration = Record<string, unknown> & { asarUnpack?: string[]; files?: Array<{ filter: string[] }> };
const builder = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<Configuration>;
  validateConfiguration(config: Configuration, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const minimatch = require('minimatch') as (path: string, pattern: string, options?: { dot?: boolean }) => boolean;

const configFile = join(repoRoot, 'electron-builder.yml');

/** Loads a configuration file the way `electron-builder --config <file>` does, then validates it. */
async function loadAndValidate(file: string): Promise<Configuration> {
  const config = await builder.getConfig(repoRoot, file, null);
  await builder.validateConfiguration(config, new DebugLogger(false));
  return config;
}

/** A copy of electron-builder.yml with one line replaced. */
function variant(search: RegExp, replacement: string): string {
  const text = readFileSync(configFile, 'utf8');
  expect(text).toMatch(search);
  const file = join(scratchDir('builder'), 'electron-builder.yml');
  writeFileSync(file, text.replace(search, replacement));
  return file;
}

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own validation', async () => {
    const config = await loadAndValidate(configFile);
    expect(config).toMatchObject({
      appId: 'org.cusp.app',
      productName: 'Cusp',
      asar: true,
      directories: { output: 'out' },
      mac: { hardenedRuntime: true, category: 'public.app-category.medical' },
      linux: { category: 'Office;MedicalSoftware' },
      nsis: { deleteAppDataOnUninstall: false },
    });
    const targets = (platform: string) =>
      ((config[platform] as { target: Array<{ target: string }> }).target).map((entry) => entry.target);
    expect(targets('win')).toEqual(['nsis']);
    expect(targets('mac')).toEqual(['dmg']);
    expect(targets('linux')).toEqual(['AppImage', 'deb']);
    // The app's entry point is packed.
    const main = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).main as string;
    const patterns = config.files!.flatMap((set) => set.filter);
    const packed = (file: string) =>
      patterns.reduce((included, pattern) => (pattern.startsWith('!') ? included && !minimatch(file, pattern.slice(1)) : included || minimatch(file, pattern)), false);
    expect(packed(main)).toBe(true);
    expect(packed('dist/electron/preload.cjs')).toBe(true);
    expect(packed('dist/renderer/index.html')).toBe(true);
    expect(packed('dist/electron/main.js.map')).toBe(false);
    expect(packed('electron/main.ts')).toBe(false);
  });

  it('rejects an unknown key and a wrongly typed value', async () => {
    await expect(loadAndValidate(variant(/^appId:/m, 'applicationId:'))).rejects.toThrow(/unknown property 'applicationId'/);
    await expect(loadAndValidate(variant(/^asar: true$/m, 'asar: sometimes'))).rejects.toThrow(/Invalid configuration object/);
    await expect(loadAndValidate(variant(/^ {2}hardenedRuntime: true$/m, '  hardenedRuntime: true\n  notAMacOption: 1'))).rejects.toThrow(
      /configuration\.mac/,
    );
  });

  it('unpacks every native module the app ships from the asar archive', async () => {
    const { asarUnpack = [] } = await loadAndValidate(configFile);
    // npm ls exits non-zero for an extraneous or missing package but still lists the tree.
    const production = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repoRoot, encoding: 'utf8' })
      .stdout.split('\n')
      .filter((dir) => dir.startsWith(join(repoRoot, 'node_modules') + sep));
    const native = execFileSync('find', [...production, '-name', '*.node', '-type', 'f'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((file) => relative(repoRoot, file).split(sep).join('/'));
    expect(native.some((file) => file.startsWith('node_modules/better-sqlite3/'))).toBe(true);
    expect(native.some((file) => file.startsWith('node_modules/@img/'))).toBe(true);
    for (const file of native) {
      expect(asarUnpack.some((pattern) => minimatch(file, pattern, { dot: true })), file).toBe(true);
    }
  });

  it('has an app icon large enough for every platform', async () => {
    const icon = await sharp(join(repoRoot, 'resources', 'icon.png')).metadata();
    expect(icon.format).toBe('png');
    expect(icon.width).toBeGreaterThanOrEqual(512);
    expect(icon.height).toBe(icon.width);
  });
});
