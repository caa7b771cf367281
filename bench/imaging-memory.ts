/**
 * One image's peak memory in `deriveAll`, measured in a process of its own (bench/imaging.ts spawns
 * `node --import tsx bench/imaging-memory.ts <warm-up path> <path>`): sampled inside one long-lived
 * process, memory malloc kept from an earlier large image hid a later image's peak (it showed 0 MB).
 * Warms up (codecs, sharp) on a small image, then prints as JSON the peak RSS above the RSS after the
 * warm-up while `deriveAll` runs once: VmHWM from /proc/self/status, reset first through
 * /proc/self/clear_refs ("5", Linux 4.0+), together with RSS sampled every 2 ms (whichever is higher;
 * the sampling alone where /proc is missing).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { deriveAll } from '../main/imaging/derive.js';
import { inputKindOf } from '../main/imaging/image.js';
import { defaultPreset } from '../main/imaging/presets.js';

const [warmUp, path] = process.argv.slice(2);
if (!warmUp || !path) throw new Error('usage: imaging-memory.ts <warm-up image> <image>');

/** Peak resident set size since the last reset, in bytes (undefined without /proc). */
function highWaterMark(): number | undefined {
  try {
    const kb = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

sharp.cache(false); // as in the pool threads
await deriveAll(warmUp, defaultPreset, { expect: inputKindOf(warmUp) });
const bytes = readFileSync(path);
global.gc?.();
await new Promise((r) => setTimeout(r, 50));
const before = process.memoryUsage().rss;
let resetHwm = false;
try {
  writeFileSync('/proc/self/clear_refs', '5');
  resetHwm = true;
} catch {
  // no reset: the sampled RSS only
}
let sampled = before;
const timer = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage().rss)), 2);
await deriveAll(bytes, defaultPreset, { expect: inputKindOf(path) });
clearInterval(timer);
sampled = Math.max(sampled, process.memoryUsage().rss);
const hwm = resetHwm ? highWaterMark() : undefined;
const peak = Math.max(sampled, hwm ?? 0) - before;
process.stdout.write(`${JSON.stringify({ peak, sampled: sampled - before, hwm: hwm === undefined ? null : hwm - before })}\n`);
