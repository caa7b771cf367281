// Pins down the annotated exports on a real radiograph: the burned-in PNG is the master's size and
// differs from the plain render only along the drawing; the GSPS is a valid Part 10 file (dcmdump
// reads it) of the right SOP class that references the image and carries the graphics and the
// label's accents and non-latin characters in UTF-8.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildGsps, burnIn, gspsHeaderOf, gspsSopClassUid, shapeOf } from '../../../main/imaging/export.js';
import { loadImage } from '../../../main/imaging/image.js';
import { render } from '../../../main/imaging/render.js';
import { dicomData, scratchDir } from '../../support/paths.js';

/** Distance from point p to segment a–b. */
function toSegment(p: [number, number], a: [number, number], b: [number, number]): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

describe('annotated export', async () => {
  const source = await loadImage(readFileSync(dicomData('dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm')));
  if (source.kind !== 'dicom') throw new Error('expected DICOM');
  const plain = render(source.frame, source.pipeline);
  const { width, height } = plain;
  const a: [number, number] = [Math.round(width * 0.2), Math.round(height * 0.3)];
  const b: [number, number] = [Math.round(width * 0.6), Math.round(height * 0.7)];

  it('burns a length into the PNG only along the line and its value', async () => {
    const shape = shapeOf('Length', { points: [a, b] }, null)!;
    const png = await burnIn(plain, [shape], 'png');
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([source.frame.width, source.frame.height]);
    let changed = 0;
    let far = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * info.channels;
        const grey = plain.data[y * width + x]!;
        if (data[i] === grey && data[i + 1] === grey && data[i + 2] === grey) continue;
        changed++;
        if (toSegment([x, y], a, b) > 4) far++;
      }
    }
    // Every pixel under the line changed; nothing away from it did.
    for (let t = 0; t <= 1; t += 0.05) {
      const x = Math.round(a[0] + t * (b[0] - a[0]));
      const y = Math.round(a[1] + t * (b[1] - a[1]));
      const i = (y * width + x) * info.channels;
      expect([data[i], data[i + 1], data[i + 2]]).not.toEqual([plain.data[y * width + x], plain.data[y * width + x], plain.data[y * width + x]]);
    }
    expect(changed).toBeGreaterThan(Math.hypot(b[0] - a[0], b[1] - a[1]));
    expect(far).toBe(0);

    // With a value and a label, the text sits beside the end of the line and nowhere else.
    const labelled = await burnIn(plain, [shapeOf('Length', { points: [a, b], text: '12.3 mm' }, 'Carie')!], 'png');
    const { data: withText, info: textInfo } = await sharp(labelled).raw().toBuffer({ resolveWithObject: true });
    expect(textInfo.channels).toBe(3);
    let beyond = 0;
    let near = 0;
    const font = Math.max(12, Math.round(Math.min(width, height) / 40));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * textInfo.channels;
        const grey = plain.data[y * width + x]!;
        if (withText[i] === grey && withText[i + 1] === grey && withText[i + 2] === grey) continue;
        const onLine = toSegment([x, y], a, b) <= 4;
        const inText = x >= b[0] && x <= b[0] + font * 12 && y >= b[1] - font * 1.5 && y <= b[1] + font * 2;
        if (!onLine && !inText) beyond++;
        if (inText && !onLine) near++;
      }
    }
    expect(beyond).toBe(0);
    expect(near).toBeGreaterThan(50);
    writeFileSync(join(scratchDir('annotations-export'), 'burned.png'), labelled);
  });

  it('writes JPEG at the master size', async () => {
    const jpeg = await burnIn(plain, [shapeOf('Length', { points: [a, b] }, null)!], 'jpeg');
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const meta = await sharp(jpeg).metadata();
    expect([meta.width, meta.height]).toEqual([width, height]);
  });

  it('builds a GSPS that dcmdump reads, referencing the image, with PIXEL graphics and UTF-8 text', () => {
    const label = 'Carie mésiale — 龋齿';
    const shapes = [
      shapeOf('Length', { points: [a, b], text: '12.3 mm' }, label)!,
      shapeOf('EllipticalROI', { points: [[100, 140], [100, 60], [40, 100], [160, 100]] }, null)!,
      shapeOf('Angle', { points: [[10, 10], [50, 50], [90, 10]] }, null)!,
    ];
    const m = source.metadata;
    const bytes = buildGsps(
      {
        sopClassUid: m.sopClassUid!,
        sopInstanceUid: m.sopInstanceUid!,
        studyInstanceUid: m.studyInstanceUid!,
        seriesInstanceUid: m.seriesInstanceUid!,
        rows: height,
        columns: width,
        photometric: m.photometric,
        header: gspsHeaderOf(source.parsed.dataSet),
      },
      shapes,
      plain.window ?? null,
    );
    const file = join(scratchDir('annotations-export'), 'gsps.dcm');
    writeFileSync(file, bytes);
    const dump = execFileSync('dcmdump', ['+U8', file], { encoding: 'utf8' });
    expect(dump).toContain(`(0008,0016) UI =GrayscaleSoftcopyPresentationStateStorage`);
    expect(dump).toContain(`(0002,0002) UI =GrayscaleSoftcopyPresentationStateStorage`);
    expect(gspsSopClassUid).toBe('1.2.840.10008.5.1.4.1.1.11.1');
    expect(dump).toMatch(new RegExp(`\\(0008,1155\\) UI \\[${m.sopInstanceUid!.replace(/\./g, '\\.')}\\]`));
    expect(dump).toContain('(0008,0005) CS [ISO_IR 192]');
    expect(dump).toContain(`(0070,0022) FL ${a[0] + 0.5}\\${a[1] + 0.5}\\${b[0] + 0.5}\\${b[1] + 0.5}`);
    expect(dump).toContain('(0070,0023) CS [POLYLINE]');
    expect(dump).toContain('(0070,0023) CS [ELLIPSE]');
    expect(dump).toContain('(0070,0005) CS [PIXEL]');
    expect(dump).toContain(label);
    expect(bytes.includes(Buffer.from(label, 'utf8'))).toBe(true);
    expect(dump).toContain(`(0020,000d) UI [${m.studyInstanceUid}]`);
  });
});
