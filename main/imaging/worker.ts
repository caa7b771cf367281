import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { workerData } from 'node:worker_threads';
import { deriveAll, type DeriveResult } from './derive.js';
import { ImagingError, type ImagingErrorReason } from './errors.js';
import type { InputKind } from './image.js';
import type { Preset } from './presets.js';

/**
 * One pool thread. libvips has its own threads: give each pool thread an equal share of the cores,
 * so that pool size × sharp concurrency never exceeds the machine.
 */
const threads = (workerData as { poolThreads?: number } | undefined)?.poolThreads ?? 1;
sharp.concurrency(Math.max(1, Math.floor(availableParallelism() / threads)));
// libvips' operation cache only helps repeated operations on the same input; a pool thread never repeats one.
sharp.cache(false);

export interface DeriveTask {
  input: string | Uint8Array;
  preset: Preset;
  expect: InputKind;
}

/** Errors lose their class crossing threads, so failures travel as data and become ImagingError again in the pool. */
export type DeriveOutcome = { ok: true; result: DeriveResult } | { ok: false; reason?: ImagingErrorReason; message: string };

export default async function derive(task: DeriveTask): Promise<DeriveOutcome> {
  try {
    return { ok: true, result: await deriveAll(task.input, task.preset, { expect: task.expect }) };
  } catch (e) {
    if (e instanceof ImagingError) return { ok: false, reason: e.reason, message: e.message };
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}
