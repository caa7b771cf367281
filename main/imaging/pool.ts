import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { DeriveResult } from './derive.js';
import { imagingError } from './errors.js';
import type { InputKind } from './image.js';
import { defaultPreset, type Preset } from './presets.js';
import type { DeriveOutcome, DeriveTask } from './worker.js';

export interface DerivePoolOptions {
  /** Worker threads; default one per core. */
  threads?: number;
  /** Tasks waiting beyond those running; callers of `derive` wait (back-pressure) once it is full. */
  maxQueue?: number;
}

/**
 * Runs `deriveAll` in worker threads so a 500-image import neither blocks the main thread nor
 * holds 500 decoded images: at most `threads + maxQueue` tasks are admitted, later callers await
 * a free slot. Works from the TypeScript sources (tests, tsx: the worker loads through tsx) and
 * from the compiled `dist/main` build (plain `.js` worker).
 */
export class DerivePool {
  readonly threads: number;
  readonly capacity: number;
  private readonly piscina: Piscina<DeriveTask, DeriveOutcome>;
  private admitted = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: DerivePoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? availableParallelism());
    const maxQueue = Math.max(0, options.maxQueue ?? this.threads * 2);
    this.capacity = this.threads + maxQueue;
    const fromSource = import.meta.url.endsWith('.ts');
    this.piscina = new Piscina({
      filename: new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      maxQueue: maxQueue + this.threads,
      workerData: { poolThreads: this.threads },
      ...(fromSource ? { execArgv: ['--import', 'tsx'] } : {}),
    });
  }

  /** Tasks admitted and not yet finished (running or queued). */
  get pending(): number {
    return this.admitted;
  }

  private async admit(): Promise<void> {
    while (this.admitted >= this.capacity) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.admitted++;
  }

  private release(): void {
    this.admitted--;
    this.waiting.shift()?.();
  }

  async derive(input: string | Uint8Array, preset: Preset = defaultPreset, expect: InputKind = 'dicom'): Promise<DeriveResult> {
    await this.admit();
    try {
      const outcome = await this.piscina.run({ input, preset, expect });
      if (!outcome.ok) throw outcome.reason ? imagingError(outcome.reason, outcome.message) : new Error(outcome.message);
      const r = outcome.result;
      // Structured clone turns Buffers into plain Uint8Arrays.
      const buffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      return { ...r, derivatives: r.derivatives.map((d) => ({ ...d, bytes: buffer(d.bytes) })), master: { ...r.master, bytes: buffer(r.master.bytes) } };
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
