// Pins down the `cusp` command's contract with a person: exit codes and messages to act on.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../main/cli/index.js';
import { scratchDir } from '../../support/paths.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args) => void err.push(args.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('cusp status', () => {
  it('prints JSON with info and health for a data folder', async () => {
    const dir = scratchDir();
    const { out } = capture();
    expect(await main(['node', 'cusp', 'status', '--json', '--data', dir])).toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.info.dataDir).toBe(dir);
    expect(report.health.ingest).toEqual(expect.objectContaining({ queued: expect.any(Number) }));
  });

  it('explains a broken config and exits 2', async () => {
    const dir = scratchDir();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ language: 'de' }));
    const { err } = capture();
    expect(await main(['node', 'cusp', 'status', '--data', dir])).toBe(2);
    expect(err.join('\n')).toMatch(/config\.json: language/);
  });
});

describe('cusp usage errors', () => {
  it('rejects an unknown command and a bad port with exit 2', async () => {
    capture();
    expect(await main(['node', 'cusp', 'nonsense'])).toBe(2);
    const { err } = capture();
    expect(await main(['node', 'cusp', 'serve', '--port', '70000', '--data', scratchDir()])).toBe(2);
    expect(err.join('\n')).toMatch(/Expected a port between 0 and 65535 for --port but received 70000/);
  });
});
