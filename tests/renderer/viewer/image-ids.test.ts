// Pins down the pure parts of the Cusp image loader and the window presets: image ids round-trip
// (and nothing else is taken for ours), derivatives decode to one grey channel only when every
// pixel is grey, and presets mean the same fraction of any image's own window.
import { describe, expect, it } from 'vitest';
import { imageIdFor, imageUrl, parseImageId, pixelsFromRgba } from '../../../renderer/viewer/image-ids.js';
import { absoluteRange, presetRange, presetsFor, relativeRange } from '../../../renderer/viewer/presets.js';

const id = '0190c2a4-7b1e-7cc1-9a53-2f4b6d8e0a11';

describe('image ids', () => {
  it('names derivatives with the cusp scheme and the master as a wadouri URL under /img/', () => {
    expect(imageIdFor(id, 'view')).toBe(`cusp:${id}:view`);
    expect(imageIdFor(id, 'master')).toBe(`wadouri:/img/${id}/master`);
    expect(imageUrl(id, 'preview')).toBe(`/img/${id}/preview`);
  });

  it('parses back every variant of our ids', () => {
    for (const variant of ['thumb200', 'preview', 'view', 'master'] as const) expect(parseImageId(imageIdFor(id, variant))).toEqual({ id, variant });
  });

  it.each([`cusp:${id}:master`, `cusp:${id}:thumb50`, 'cusp:not-a-uuid:view', `wadouri:https://example.org/img/${id}/master`, `wadors:/img/${id}/master`, `cusp:${id}:view:extra`])(
    'does not take %s for one of ours',
    (imageId) => {
      expect(parseImageId(imageId)).toBeNull();
    },
  );
});

describe('pixelsFromRgba', () => {
  it('keeps one channel when R = G = B everywhere (a radiograph in a JPEG)', () => {
    const rgba = new Uint8ClampedArray([10, 10, 10, 255, 200, 200, 200, 255]);
    expect(pixelsFromRgba(rgba, 2, 1)).toEqual({ rows: 1, columns: 2, color: false, pixels: new Uint8Array([10, 200]) });
  });

  it('keeps RGB when a single pixel has colour (an intra-oral photo)', () => {
    const rgba = new Uint8ClampedArray([10, 10, 10, 255, 200, 100, 50, 255]);
    expect(pixelsFromRgba(rgba, 1, 2)).toEqual({ rows: 2, columns: 1, color: true, pixels: new Uint8Array([10, 10, 10, 200, 100, 50]) });
  });
});

describe('window presets', () => {
  it('are fractions of the image’s own window, the same on 8-bit and 12-bit data', () => {
    const caries = presetRange('caries');
    expect(absoluteRange({ lower: 0, upper: 256 }, caries)).toEqual({ lower: 64, upper: 192 });
    expect(absoluteRange({ lower: 200, upper: 3400 }, caries)).toEqual({ lower: 1000, upper: 2600 });
    expect(absoluteRange({ lower: 200, upper: 3400 }, presetRange('default'))).toEqual({ lower: 200, upper: 3400 });
  });

  it('carry a user window from one variant to another through relative ranges', () => {
    const relative = relativeRange({ lower: 0, upper: 256 }, { lower: 32, upper: 160 });
    expect(relative).toEqual({ lower: 0.125, upper: 0.625 });
    expect(absoluteRange({ lower: 200, upper: 3400 }, relative)).toEqual({ lower: 600, upper: 2200 });
  });

  it('offer dental presets per modality', () => {
    expect(presetsFor('IO')).toEqual(['default', 'caries', 'endo', 'perio']);
    expect(presetsFor('DX')).toContain('softTissue');
    expect(presetsFor('CT')).toEqual(['default']);
  });
});
