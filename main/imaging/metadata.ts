import type { DataSet } from 'dicom-parser';
import type { ParsedDicom } from './parse.js';
import type { PixelModule } from './pixel-module.js';

/**
 * What ingest needs from the header: identifiers for matching and filing, geometry for measuring,
 * the declared window. Patient fields are for matching only: never log them.
 * Every string is plain text from the file; display code must escape it.
 */
export interface ImageMetadata {
  sopInstanceUid?: string;
  sopClassUid?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  patient: { id?: string; name?: string; birthDate?: string };
  modality?: string;
  transferSyntaxUid: string;
  rows: number;
  columns: number;
  frames: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  photometric: string;
  /** Millimetres per pixel (row spacing, column spacing) and which attribute it came from. */
  pixelSpacing?: { row: number; column: number; source: 'PixelSpacing' | 'ImagerPixelSpacing'; magnification?: number };
  /** The first window the file declares (centre, width in modality units). */
  declaredWindow?: { center: number; width: number };
  rescale: { slope: number; intercept: number };
  /** The stored pixels were lossy-compressed at some point (transfer syntax or Lossy Image Compression = 01). */
  lossy: boolean;
  /** DICOM date-time (YYYYMMDDHHMMSS…) of acquisition, falling back to content then study date/time. */
  acquisitionDateTime?: string;
  /** Tooth codes from the Primary Anatomic Structure Sequence (code value as written, e.g. an ISO 3950 or SCT code). */
  teeth: string[];
  imageLaterality?: string;
}

const clean = (v: string | undefined) => {
  const t = v?.replace(/\0/g, '').trim();
  return t ? t : undefined;
};
const text = (ds: DataSet, tag: string) => clean(ds.string(tag));
const numbers = (ds: DataSet, tag: string): number[] => {
  const raw = text(ds, tag);
  if (!raw) return [];
  return raw.split('\\').map((v) => Number(v.trim())).filter((v) => Number.isFinite(v));
};
export const firstNumber = (ds: DataSet, tag: string): number | undefined => numbers(ds, tag)[0];

function spacing(ds: DataSet): ImageMetadata['pixelSpacing'] {
  const pick = (tag: string) => {
    const [row, column] = numbers(ds, tag);
    return row !== undefined && column !== undefined && row > 0 && column > 0 ? { row, column } : undefined;
  };
  // PixelSpacing is calibrated at the patient; ImagerPixelSpacing is at the detector (magnified).
  const calibrated = pick('x00280030');
  if (calibrated) return { ...calibrated, source: 'PixelSpacing' };
  const imager = pick('x00181164');
  if (!imager) return undefined;
  const magnification = firstNumber(ds, 'x00181114');
  return { ...imager, source: 'ImagerPixelSpacing', ...(magnification ? { magnification } : {}) };
}

function dateTime(ds: DataSet): string | undefined {
  const combined = text(ds, 'x0008002a');
  if (combined) return combined;
  for (const [date, time] of [['x00080022', 'x00080032'], ['x00080023', 'x00080033'], ['x00080020', 'x00080030']] as const) {
    const d = text(ds, date);
    if (d) return d + (text(ds, time) ?? '');
  }
  return undefined;
}

function teeth(ds: DataSet): string[] {
  const items = ds.elements.x00082228?.items ?? [];
  return items.map((item) => (item.dataSet ? text(item.dataSet, 'x00080100') : undefined)).filter((v): v is string => v !== undefined);
}

export function readMetadata(p: ParsedDicom, m: PixelModule): ImageMetadata {
  const ds = p.dataSet;
  const center = firstNumber(ds, 'x00281050');
  const width = firstNumber(ds, 'x00281051');
  const pixelSpacing = spacing(ds);
  const acquisitionDateTime = dateTime(ds);
  const optional = {
    sopInstanceUid: text(ds, 'x00080018'),
    sopClassUid: text(ds, 'x00080016'),
    studyInstanceUid: text(ds, 'x0020000d'),
    seriesInstanceUid: text(ds, 'x0020000e'),
    modality: text(ds, 'x00080060'),
    imageLaterality: text(ds, 'x00200062'),
  };
  return {
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    patient: Object.fromEntries(
      Object.entries({ id: text(ds, 'x00100020'), name: text(ds, 'x00100010'), birthDate: text(ds, 'x00100030') }).filter(([, v]) => v !== undefined),
    ),
    transferSyntaxUid: p.syntax.uid,
    rows: m.rows,
    columns: m.columns,
    frames: m.frames,
    bitsAllocated: m.bitsAllocated,
    bitsStored: m.bitsStored,
    signed: m.signed,
    photometric: m.photometric,
    ...(pixelSpacing ? { pixelSpacing } : {}),
    ...(center !== undefined && width !== undefined ? { declaredWindow: { center, width } } : {}),
    rescale: { slope: firstNumber(ds, 'x00281053') ?? 1, intercept: firstNumber(ds, 'x00281052') ?? 0 },
    lossy: p.syntax.lossy || text(ds, 'x00282110') === '01',
    ...(acquisitionDateTime ? { acquisitionDateTime } : {}),
    teeth: teeth(ds),
  } as ImageMetadata;
}
