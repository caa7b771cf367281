import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import type { DeriveResult } from '../imaging/derive.js';
import { ImagingError } from '../imaging/errors.js';
import { inputKindOf } from '../imaging/image.js';
import { DerivePool } from '../imaging/pool.js';
import { namedPresets, presetNamed } from '../imaging/presets.js';
import { transferSyntax } from '../imaging/syntax.js';

/** Files in a folder that are certainly not images (documentation, summaries we wrote ourselves). */
const notImages = /\.(md|txt|json|html?|csv|xml|pdf)$/i;

async function expand(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const entries = await readdir(path, { withFileTypes: true });
    const inside = entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name));
    files.push(...(await expand(inside.filter((e) => e.isDirectory()).map((e) => join(path, e.name)))));
    files.push(...inside.filter((e) => e.isFile() && !notImages.test(e.name)).map((e) => join(path, e.name)));
  }
  return files;
}

const extensions = { jpeg: 'jpg', webp: 'webp', avif: 'avif' } as const;

/** The per-file summary: no patient name, ID or birth date, only what describes the image and its outputs. */
function summary(file: string, stem: string, r: DeriveResult, masterName: string) {
  const m = r.metadata;
  return {
    file: basename(file),
    ok: true,
    kind: r.kind,
    width: r.width,
    height: r.height,
    frames: m?.frames ?? 1,
    frameShown: r.frameIndex,
    ...(m
      ? {
          modality: m.modality,
          bitsAllocated: m.bitsAllocated,
          bitsStored: m.bitsStored,
          signed: m.signed,
          photometric: m.photometric,
          transferSyntax: { uid: m.transferSyntaxUid, name: transferSyntax(m.transferSyntaxUid)?.name },
          lossySource: m.lossy,
          pixelSpacing: m.pixelSpacing,
        }
      : {}),
    window: r.window,
    sourceBytes: r.sourceBytes,
    outputs: r.derivatives.map((d) => ({
      variant: d.variant,
      file: `${stem}.${d.variant}.${extensions[d.format]}`,
      bytes: d.bytes.length,
      format: d.format,
      quality: d.quality,
      width: d.width,
      height: d.height,
      sha256: d.sha256,
      lossy: true,
      ...(d.fidelity ? { fidelity: d.fidelity } : {}),
    })),
    master: {
      file: masterName,
      bytes: r.master.bytes.length,
      encoding: r.master.encoding,
      transferSyntaxUid: r.master.transferSyntaxUid,
      verifiedBitExact: r.master.verifiedBitExact,
      ...(r.master.note ? { note: r.master.note } : {}),
    },
    timingsMs: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v * 10) / 10])),
  };
}

/**
 * Writes every output of one image, or none: each goes to a temporary name first and is renamed
 * only when all were written.
 */
async function writeAll(outDir: string, files: { name: string; data: Uint8Array | string }[]): Promise<void> {
  const temp = (name: string) => join(outDir, `.${name}.${process.pid}.partial`);
  try {
    for (const f of files) await writeFile(temp(f.name), f.data);
    for (const f of files) await rename(temp(f.name), join(outDir, f.name));
  } catch (e) {
    await Promise.all(files.map((f) => rm(temp(f.name), { force: true })));
    throw e;
  }
}

export function deriveCommand(program: Command): void {
  program
    .command('derive')
    .description('decode DICOM files or photos and write their thumbnails, preview, view and lossless master')
    .argument('<paths...>', 'files or folders (folders are read recursively)')
    .requiredOption('--out <dir>', 'folder for the outputs (created if missing)')
    .option('--preset <name>', `derivative preset: ${Object.keys(namedPresets).join(', ')}`, 'default')
    .option('--json', 'print one JSON summary per file on stdout')
    .action(async (paths: string[], options: { out: string; preset: string; json?: boolean }) => {
      const preset = presetNamed(options.preset);
      await mkdir(options.out, { recursive: true });
      const files = await expand(paths);
      const stems = new Map<string, number>();
      const stemOf = (file: string) => {
        const base = basename(file, extname(file)) || basename(file);
        const seen = stems.get(base) ?? 0;
        stems.set(base, seen + 1);
        return seen ? `${base}-${seen + 1}` : base;
      };
      const pool = new DerivePool();
      const reports: Record<string, unknown>[] = [];
      let failed = 0;
      try {
        await Promise.all(
          files.map(async (file) => {
            const stem = stemOf(file);
            try {
              const r = await pool.derive(file, preset, inputKindOf(file));
              const masterName = r.kind === 'dicom' ? `${stem}.master.dcm` : `${stem}.master${extname(file).toLowerCase()}`;
              const report = summary(file, stem, r, masterName);
              await writeAll(options.out, [
                ...r.derivatives.map((d) => ({ name: `${stem}.${d.variant}.${extensions[d.format]}`, data: d.bytes })),
                { name: masterName, data: r.master.bytes },
                { name: `${stem}.json`, data: `${JSON.stringify(report, null, 2)}\n` },
              ]);
              reports.push(report);
              if (!options.json) {
                const view = r.derivatives.find((d) => d.variant === 'view')!;
                console.log(`${file}: ${r.width}×${r.height}, view ${view.bytes.length} bytes, master ${r.master.encoding}${r.master.verifiedBitExact ? ' (verified bit-exact)' : ''}`);
              }
            } catch (e) {
              failed++;
              const reason = e instanceof ImagingError ? e.reason : 'INTERNAL';
              const message = e instanceof Error ? e.message : String(e);
              reports.push({ file: basename(file), ok: false, reason, message });
              if (!options.json) console.error(`${file}: ${reason}: ${message}`);
            }
          }),
        );
      } finally {
        await pool.close();
      }
      if (options.json) console.log(JSON.stringify(reports, null, 2));
      if (failed > 0) throw new Error(`${failed} of ${files.length} file(s) could not be derived`);
    });
}
