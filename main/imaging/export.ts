import type { DataSet } from 'dicom-parser';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { RenderedImage, Window } from './render.js';

/**
 * Exports of an image with its annotations:
 * - `burnIn`: the rendered master (8-bit, exactly `render()`) with the drawings burned in, PNG or JPEG;
 * - `buildGsps`: a DICOM Grayscale Softcopy Presentation State that references the image's SOP
 *   instance and carries the drawings as graphic annotations in PIXEL units (ISO_IR 192, UTF-8).
 *
 * Coordinates: annotations are stored in the viewer's world space, full-resolution pixels where a
 * pixel's centre is at its integer (column, row). DICOM PIXEL units and SVG both put the image's
 * top-left corner at 0,0, so a pixel's centre is at +0.5: every point is shifted by half a pixel.
 */

/** The part of dcmjs (it publishes no types) used here: naturalized datasets in, Part 10 bytes out. */
interface DicomDict {
  dict: Record<string, unknown>;
  write(): ArrayBuffer;
}
interface Dcmjs {
  data: {
    DicomDict: new (meta: Record<string, unknown>) => DicomDict;
    DicomMetaDictionary: { uid(): string; denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown> };
  };
}
const dcmjs = createRequire(import.meta.url)('dcmjs') as Dcmjs;

export const gspsSopClassUid = '1.2.840.10008.5.1.4.1.1.11.1';
const explicitLittleEndian = '1.2.840.10008.1.2.1';
/** Cusp's implementation class UID, under the same root the tests use for generated UIDs. */
const implementationClassUid = '1.2.826.0.1.3680043.10.999.1.1';

/** One annotation as drawn on export: points in full-resolution pixels (centre of a pixel = integers). */
export interface ExportShape {
  kind: 'polyline' | 'polygon' | 'ellipse' | 'arrow' | 'point';
  points: Array<[number, number]>;
  /** Text shown beside the drawing: the measured value then the label. */
  text: string[];
}

type Json = unknown;

const isPoint = (p: Json): p is [number, number] => Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);

/**
 * The shape of a stored annotation (tool name as Cornerstone calls it, geometry as the viewer
 * saved it, label); null when it has no drawable points.
 */
export function shapeOf(tool: string, geometry: Json, label: string | null): ExportShape | null {
  const g = (geometry ?? {}) as { points?: Json[]; text?: unknown };
  const points = (Array.isArray(g.points) ? g.points : []).filter(isPoint).map((p) => [Number(p[0]), Number(p[1])] as [number, number]);
  if (points.length === 0) return null;
  const text = [typeof g.text === 'string' ? g.text : '', label ?? ''].map((t) => t.trim()).filter((t, i, all) => t !== '' && all.indexOf(t) === i);
  switch (tool) {
    case 'EllipticalROI':
      return points.length >= 4 ? { kind: 'ellipse', points: points.slice(0, 4), text } : null;
    case 'PlanarFreehandROI':
      return points.length >= 3 ? { kind: 'polygon', points, text } : null;
    case 'ArrowAnnotate':
      return points.length >= 2 ? { kind: 'arrow', points: points.slice(0, 2), text } : null;
    case 'Probe':
      return { kind: 'point', points: points.slice(0, 1), text };
    default:
      return points.length >= 2 ? { kind: 'polyline', points, text } : null;
  }
}

/** Ellipse handles (any order of the four axis ends, as Cornerstone keeps them) → centre and radii. */
function ellipseOf(points: Array<[number, number]>) {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [left, right, top, bottom] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return { cx: (left + right) / 2, cy: (top + bottom) / 2, rx: (right - left) / 2, ry: (bottom - top) / 2 };
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** Where a shape's text goes: beside its last point (the end of a length, the tail of an arrow). */
function anchorOf(shape: ExportShape): [number, number] {
  if (shape.kind === 'ellipse') {
    const e = ellipseOf(shape.points);
    return [e.cx + e.rx, e.cy - e.ry];
  }
  if (shape.kind === 'polygon') return [Math.max(...shape.points.map((p) => p[0])), Math.min(...shape.points.map((p) => p[1]))];
  return shape.points[shape.points.length - 1]!;
}

/** An SVG of the drawings, the image's size, for sharp to composite over the rendered pixels. */
export function annotationSvg(width: number, height: number, shapes: ExportShape[]): string {
  const stroke = Math.max(1, Math.round(Math.min(width, height) / 400));
  const font = Math.max(12, Math.round(Math.min(width, height) / 40));
  const c = (v: number) => (v + 0.5).toFixed(2);
  const colour = '#ffd400';
  const parts: string[] = [];
  for (const shape of shapes) {
    const pts = shape.points.map(([x, y]) => `${c(x)},${c(y)}`).join(' ');
    if (shape.kind === 'polyline') parts.push(`<polyline points="${pts}" fill="none"/>`);
    else if (shape.kind === 'polygon') parts.push(`<polygon points="${pts}" fill="none"/>`);
    else if (shape.kind === 'ellipse') {
      const e = ellipseOf(shape.points);
      parts.push(`<ellipse cx="${c(e.cx)}" cy="${c(e.cy)}" rx="${e.rx.toFixed(2)}" ry="${e.ry.toFixed(2)}" fill="none"/>`);
    } else if (shape.kind === 'arrow') {
      const [[hx, hy], [tx, ty]] = shape.points as [[number, number], [number, number]];
      const angle = Math.atan2(hy - ty, hx - tx);
      const size = font * 0.8;
      const wing = (a: number) => `${c(hx - size * Math.cos(angle + a))},${c(hy - size * Math.sin(angle + a))}`;
      parts.push(`<polyline points="${c(tx)},${c(ty)} ${c(hx)},${c(hy)}" fill="none"/>`, `<polyline points="${wing(0.45)} ${c(hx)},${c(hy)} ${wing(-0.45)}" fill="none"/>`);
    } else {
      const [x, y] = shape.points[0]!;
      parts.push(`<circle cx="${c(x)}" cy="${c(y)}" r="${stroke * 2}" fill="${colour}"/>`);
    }
    if (shape.text.length > 0) {
      const [ax, ay] = anchorOf(shape);
      const lines = shape.text.map((line, i) => `<tspan x="${c(ax + font * 0.5)}" dy="${i === 0 ? 0 : font * 1.2}">${escapeXml(line)}</tspan>`).join('');
      parts.push(`<text x="${c(ax + font * 0.5)}" y="${c(ay)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="${colour}" stroke="none">${lines}</text>`);
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<g stroke="${colour}" stroke-width="${stroke}" stroke-linecap="round" stroke-linejoin="round">${parts.join('')}</g></svg>`
  );
}

/**
 * The rendered image (grey or RGB, 8 bits) with the drawings burned in, at the master's full
 * size, as PNG (lossless) or JPEG (quality 92). Output is RGB: the drawings are in colour.
 */
export async function burnIn(image: RenderedImage, shapes: ExportShape[], format: 'png' | 'jpeg'): Promise<Buffer> {
  const { width, height, channels } = image;
  let pipeline = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width, height, channels } }).toColourspace('srgb');
  if (shapes.length > 0) {
    // Composite in a first pass (the overlay brings an alpha channel), then encode opaque RGB.
    const composed = await pipeline
      .composite([{ input: Buffer.from(annotationSvg(width, height, shapes)), top: 0, left: 0 }])
      .raw()
      .toBuffer({ resolveWithObject: true });
    pipeline = sharp(composed.data, { raw: { width, height, channels: composed.info.channels } }).removeAlpha().toColourspace('srgb');
  }
  return format === 'png' ? pipeline.png({ compressionLevel: 6 }).toBuffer() : pipeline.jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer();
}

/** What the presentation state says about the referenced image (from its DICOM header and the index). */
export interface GspsSubject {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  rows: number;
  columns: number;
  photometric: string;
  /** Patient and study attributes copied as the header has them (already decoded to text). */
  header: Partial<Record<'PatientName' | 'PatientID' | 'PatientBirthDate' | 'PatientSex' | 'StudyDate' | 'StudyTime' | 'ReferringPhysicianName' | 'StudyID' | 'AccessionNumber', string>>;
  rescale?: { slope: number; intercept: number; type: string };
}

const da = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
const tm = (d: Date) => d.toISOString().slice(11, 19).replace(/:/g, '');

/**
 * A Grayscale Softcopy Presentation State (PS3.3 A.33.1) for one image: the window as a Softcopy
 * VOI LUT, the annotations as graphic objects (POLYLINE, closed POLYLINE, ELLIPSE, POINT) and text
 * objects, all in PIXEL units of the referenced image, on one graphic layer "CUSP".
 */
export function buildGsps(subject: GspsSubject, shapes: ExportShape[], window: Window | null, now = new Date()): Buffer {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const sopInstanceUid = DicomMetaDictionary.uid();
  const px = ([x, y]: [number, number]) => [x + 0.5, y + 0.5];
  const graphic = (type: string, points: Array<[number, number]>) => ({
    GraphicAnnotationUnits: 'PIXEL',
    GraphicDimensions: 2,
    NumberOfGraphicPoints: points.length,
    GraphicData: points.flatMap(px),
    GraphicType: type,
    GraphicFilled: 'N',
  });
  const annotations = shapes.map((shape) => {
    const objects: unknown[] = [];
    if (shape.kind === 'polyline' || shape.kind === 'arrow') objects.push(graphic('POLYLINE', shape.points));
    else if (shape.kind === 'polygon') objects.push(graphic('POLYLINE', [...shape.points, shape.points[0]!]));
    else if (shape.kind === 'point') objects.push(graphic('POINT', shape.points));
    else {
      const e = ellipseOf(shape.points);
      // Major axis end points, then minor axis end points (PS3.3 C.10.5.1.2).
      const horizontal: Array<[number, number]> = [[e.cx - e.rx, e.cy], [e.cx + e.rx, e.cy]];
      const vertical: Array<[number, number]> = [[e.cx, e.cy - e.ry], [e.cx, e.cy + e.ry]];
      objects.push(graphic('ELLIPSE', e.rx >= e.ry ? [...horizontal, ...vertical] : [...vertical, ...horizontal]));
    }
    const item: Record<string, unknown> = { GraphicLayer: 'CUSP', GraphicObjectSequence: objects };
    if (shape.text.length > 0) {
      item.TextObjectSequence = [
        { AnchorPointAnnotationUnits: 'PIXEL', AnchorPoint: px(anchorOf(shape)), AnchorPointVisibility: 'N', UnformattedTextValue: shape.text.join('\r\n') },
      ];
    }
    return item;
  });

  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: gspsSopClassUid,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: da(now),
    InstanceCreationTime: tm(now),
    // Patient and study: the referenced image's (a presentation state belongs to its study).
    PatientName: subject.header.PatientName ?? '',
    PatientID: subject.header.PatientID ?? '',
    PatientBirthDate: subject.header.PatientBirthDate ?? '',
    PatientSex: subject.header.PatientSex ?? '',
    StudyInstanceUID: subject.studyInstanceUid,
    StudyDate: subject.header.StudyDate ?? '',
    StudyTime: subject.header.StudyTime ?? '',
    ReferringPhysicianName: subject.header.ReferringPhysicianName ?? '',
    StudyID: subject.header.StudyID ?? '',
    AccessionNumber: subject.header.AccessionNumber ?? '',
    // A series of its own.
    Modality: 'PR',
    SeriesInstanceUID: DicomMetaDictionary.uid(),
    SeriesNumber: 9001,
    Manufacturer: 'Cusp',
    InstanceNumber: 1,
    ContentLabel: 'CUSP',
    ContentDescription: 'Annotations from Cusp',
    PresentationCreationDate: da(now),
    PresentationCreationTime: tm(now),
    ContentCreatorName: '',
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: subject.seriesInstanceUid,
        ReferencedImageSequence: [{ ReferencedSOPClassUID: subject.sopClassUid, ReferencedSOPInstanceUID: subject.sopInstanceUid }],
      },
    ],
    DisplayedAreaSelectionSequence: [
      {
        DisplayedAreaTopLeftHandCorner: [1, 1],
        DisplayedAreaBottomRightHandCorner: [subject.columns, subject.rows],
        PresentationSizeMode: 'SCALE TO FIT',
        PresentationPixelAspectRatio: [1, 1],
      },
    ],
    GraphicLayerSequence: [{ GraphicLayer: 'CUSP', GraphicLayerOrder: 1, GraphicLayerDescription: 'Cusp annotations' }],
    PresentationLUTShape: subject.photometric === 'MONOCHROME1' ? 'INVERSE' : 'IDENTITY',
  };
  if (annotations.length > 0) dataset.GraphicAnnotationSequence = annotations;
  if (window && window.source !== 'voiLut' && Number.isFinite(window.center) && Number.isFinite(window.width)) {
    dataset.SoftcopyVOILUTSequence = [{ WindowCenter: round(window.center), WindowWidth: round(Math.max(1, window.width)) }];
  }
  if (subject.rescale) {
    dataset.RescaleIntercept = subject.rescale.intercept;
    dataset.RescaleSlope = subject.rescale.slope;
    dataset.RescaleType = subject.rescale.type;
  }
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: gspsSopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: explicitLittleEndian,
    ImplementationClassUID: implementationClassUid,
    ImplementationVersionName: 'CUSP',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * A text attribute of a parsed header, decoded by the file's character set: UTF-8 for ISO_IR 192,
 * Latin-1 otherwise (ISO_IR 100 and plain ASCII). Trailing padding removed.
 */
export function headerText(ds: DataSet, tag: string): string | undefined {
  const element = ds.elements[tag];
  if (!element || element.length === 0) return undefined;
  const bytes = Buffer.from(ds.byteArray.buffer, ds.byteArray.byteOffset + element.dataOffset, element.length);
  const charset = (ds.string('x00080005') ?? '').toUpperCase();
  const text = bytes.toString(charset.includes('ISO_IR 192') ? 'utf8' : 'latin1').replace(/[\0 ]+$/, '');
  return text === '' ? undefined : text;
}

/** The header attributes a presentation state copies. */
export function gspsHeaderOf(ds: DataSet): GspsSubject['header'] {
  const tags = {
    PatientName: 'x00100010',
    PatientID: 'x00100020',
    PatientBirthDate: 'x00100030',
    PatientSex: 'x00100040',
    StudyDate: 'x00080020',
    StudyTime: 'x00080030',
    ReferringPhysicianName: 'x00080090',
    StudyID: 'x00200010',
    AccessionNumber: 'x00080050',
  } as const;
  const header: GspsSubject['header'] = {};
  for (const [name, tag] of Object.entries(tags) as Array<[keyof typeof tags, string]>) {
    const value = headerText(ds, tag);
    if (value !== undefined) header[name] = value;
  }
  return header;
}
