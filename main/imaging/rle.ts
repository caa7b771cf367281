import { imagingError } from './errors.js';

/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of up to 15 segment offsets, one PackBits
 * segment per byte plane (most significant first) of each sample. Output is interleaved,
 * 16-bit samples little endian. Every read and write is bounds-checked: a hostile segment cannot
 * write past the frame.
 */
export function decodeRle(frame: Uint8Array, pixels: number, samples: number, bytesPerSample: 1 | 2): Uint8Array {
  if (frame.length < 64) throw imagingError('CORRUPT_CODESTREAM', 'the RLE frame is shorter than its 64-byte header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const expected = samples * bytesPerSample;
  if (segments !== expected) throw imagingError('CORRUPT_CODESTREAM', `the RLE frame has ${segments} segments, expected ${expected}`);
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(view.getUint32(4 + 4 * s, true));
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : frame.length;
    if (start < 64 || end > frame.length || end < start) throw imagingError('CORRUPT_CODESTREAM', `RLE segment ${s} lies outside the frame`);
    const sample = Math.floor(s / bytesPerSample);
    const plane = s % bytesPerSample; // 0 = most significant byte
    const byteInSample = bytesPerSample - 1 - plane;
    const stride = expected;
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let i = start;
    while (i < end && written < pixels) {
      const n = (frame[i++]! << 24) >> 24; // signed header byte
      if (n >= 0) {
        const count = Math.min(n + 1, end - i, pixels - written);
        for (let k = 0; k < count; k++, o += stride) out[o] = frame[i + k]!;
        i += n + 1;
        written += count;
      } else if (n !== -128) {
        const count = Math.min(1 - n, pixels - written);
        const value = frame[i++]!;
        for (let k = 0; k < count; k++, o += stride) out[o] = value;
        written += count;
      }
    }
    if (written < pixels) throw imagingError('CORRUPT_CODESTREAM', `RLE segment ${s} decodes to ${written} of ${pixels} pixels`);
  }
  return out;
}
