import PDFDocument from 'pdfkit';
import sharp from 'sharp';
import type { Language, Letterhead } from '../../contract/index.js';
import type { DrawnAnnotation } from './annotations.js';
import { formatLongDate, formatMoney, pdfStrings } from './strings.js';

/** One radiograph of the PDF: the stored view variant's bytes and what to print under it. */
export interface PdfImage {
  bytes: Buffer;
  modality: string;
  acquiredAt: string | null;
  teeth: number[];
  /** Full-resolution size: the annotations' coordinate space (the view variant may be smaller). */
  columns: number;
  rows: number;
  /** Drawn over the image when given. */
  annotations?: DrawnAnnotation[];
}

export interface PdfPlan {
  title: string;
  phases: Array<{
    title: string;
    procedures: Array<{ code: string; description: string | null; tooth: number | null; surfaces: string | null; feeCents: number }>;
  }>;
}

export interface SharePdfInput {
  language: Language;
  letterhead: Letterhead;
  patientName: string;
  /** YYYY-MM-DD: the day it is made. */
  date: string;
  images: PdfImage[];
  plan: PdfPlan | null;
}

const margin = 50;
const ink = '#1d2b30';
const muted = '#5b6b70';
const accent = '#0b5a66';

/**
 * The patient's PDF: letterhead, who and when, then each chosen radiograph on its own page
 * (date, teeth, kind) and the plan (phases, procedures, teeth, fees, total), with page numbers.
 * Standard fonts only (French accents are in their WinAnsi encoding), so no font file is needed.
 */
export async function buildSharePdf(input: SharePdfInput): Promise<{ bytes: Buffer; pages: number }> {
  const s = pdfStrings[input.language];
  // pdfkit embeds JPEG and PNG only; a view is usually a JPEG but may be WebP: re-encode, and
  // bound the size (a page is ~500 pt wide; 1600 px is sharp on paper and keeps the file small).
  const pictures = await Promise.all(
    input.images.map(async (image) => ({
      ...image,
      jpeg: await sharp(image.bytes).resize({ width: 1600, height: 1600, fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 85 }).toBuffer(),
    })),
  );

  const doc = new PDFDocument({
    size: 'A4',
    margin,
    bufferPages: true,
    info: { Title: s.title, Author: input.letterhead.name, Producer: 'Cusp', Creator: 'Cusp' },
    lang: input.language === 'fr' ? 'fr-CA' : 'en-CA',
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });

  const width = doc.page.width - 2 * margin;
  const header = () => {
    doc.font('Helvetica-Bold').fontSize(16).fillColor(accent).text(input.letterhead.name, margin, margin, { width });
    const contact = [input.letterhead.address, input.letterhead.phone && `${s.phone} ${input.letterhead.phone}`].filter(Boolean).join(' · ');
    if (contact) doc.font('Helvetica').fontSize(9.5).fillColor(muted).text(contact, { width });
    const y = doc.y + 6;
    doc.moveTo(margin, y).lineTo(margin + width, y).lineWidth(0.8).strokeColor(accent).stroke();
    doc.y = y + 12;
    doc.x = margin;
  };

  header();
  doc.font('Helvetica-Bold').fontSize(20).fillColor(ink).text(s.title, { width });
  doc.moveDown(0.5);
  doc.font('Helvetica').fontSize(11).fillColor(ink);
  const colon = colonOf(input.language);
  doc.text(`${s.preparedFor}${colon}`, { continued: true }).font('Helvetica-Bold').text(input.patientName);
  doc.font('Helvetica').text(`${s.date}${colon}${formatLongDate(input.date, input.language)}`);
  doc.moveDown(1);

  pictures.forEach((picture, index) => {
    // Each image gets a page of its own; the first shares the cover page.
    if (index > 0) {
      doc.addPage();
      header();
    }
    doc.font('Helvetica-Bold').fontSize(13).fillColor(accent).text(index === 0 ? s.images : s.image(index + 1, pictures.length), { width });
    if (index === 0 && pictures.length > 1) doc.font('Helvetica').fontSize(10).fillColor(muted).text(s.image(1, pictures.length));
    doc.moveDown(0.3);
    const caption = [
      s.modality[picture.modality] ?? s.modality.OT,
      picture.acquiredAt ? `${s.takenOn} ${formatLongDate(picture.acquiredAt, input.language)}` : s.undated,
      `${s.teeth}${colon}${picture.teeth.length ? picture.teeth.join(', ') : s.noTeeth}`,
    ].join(' · ');
    doc.font('Helvetica').fontSize(10.5).fillColor(ink).text(caption, { width });
    doc.moveDown(0.5);
    const top = doc.y;
    const available = doc.page.height - margin - 40 - top;
    doc.rect(margin, top, width, available).fill('#111111');
    // Fit the full-resolution frame (the annotations' space) in the box, centred.
    const scale = Math.min(width / picture.columns, available / picture.rows);
    const box = { x: margin + (width - picture.columns * scale) / 2, y: top + (available - picture.rows * scale) / 2, scale };
    doc.image(picture.jpeg, box.x, box.y, { width: picture.columns * scale, height: picture.rows * scale });
    if (picture.annotations?.length) drawAnnotations(doc, picture.annotations, box);
    doc.y = top + available + 8;
    doc.x = margin;
  });

  if (input.plan) {
    if (pictures.length > 0) {
      doc.addPage();
      header();
    }
    drawPlan(doc, input, width);
  }

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const y = doc.page.height - margin + 10;
    // Writing below the bottom margin would add a page: lift the margin while writing the footer.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('Helvetica').fontSize(8).fillColor(muted);
    doc.text(s.notDiagnostic, margin, y, { width: width - 80, lineBreak: false });
    doc.text(s.page(i - range.start + 1, range.count), margin + width - 80, y, { width: 80, align: 'right', lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  await ended;
  return { bytes: Buffer.concat(chunks), pages: range.count };
}

/** Yellow lines and labels with a dark outline, readable on bone and on air alike. */
function drawAnnotations(doc: PDFKit.PDFDocument, annotations: DrawnAnnotation[], box: { x: number; y: number; scale: number }): void {
  // A pixel's centre is at its integer column/row: its area starts half a pixel before.
  const at = ([x, y]: [number, number]): [number, number] => [box.x + (x + 0.5) * box.scale, box.y + (y + 0.5) * box.scale];
  doc.save();
  for (const annotation of annotations) {
    const [first, ...rest] = annotation.points.map(at);
    if (annotation.ellipse) {
      const [cx, cy] = at([annotation.ellipse.cx, annotation.ellipse.cy]);
      doc.ellipse(cx, cy, annotation.ellipse.rx * box.scale, annotation.ellipse.ry * box.scale).lineWidth(1.6).strokeColor('#ffd400').stroke();
    } else if (rest.length) {
      doc.moveTo(...first!);
      for (const point of rest) doc.lineTo(...point);
      if (annotation.closed) doc.closePath();
      doc.lineWidth(1.6).strokeColor('#ffd400').stroke();
    } else {
      doc.circle(first![0], first![1], 3).fill('#ffd400');
    }
    if (annotation.label) {
      doc.font('Helvetica-Bold').fontSize(10);
      const textWidth = Math.min(doc.widthOfString(annotation.label), 220);
      const [x, y] = [first![0] + 6, first![1] - 16];
      doc.rect(x - 2, y - 2, textWidth + 4, 14).fillOpacity(0.65).fill('#000000').fillOpacity(1);
      doc.fillColor('#ffd400').text(annotation.label, x, y, { width: 224, lineBreak: false });
    }
  }
  doc.restore();
}

/** French typography puts a space before the colon. */
const colonOf = (language: Language) => (language === 'fr' ? ' : ' : ': ');

function drawPlan(doc: PDFKit.PDFDocument, input: SharePdfInput, width: number): void {
  const s = pdfStrings[input.language];
  const plan = input.plan!;
  doc.font('Helvetica-Bold').fontSize(13).fillColor(accent).text(s.plan, margin, doc.y, { width });
  doc.font('Helvetica').fontSize(11).fillColor(ink).text(plan.title, { width });
  doc.moveDown(0.6);
  const columns = [
    { title: s.code, width: 55, align: 'left' as const },
    { title: s.procedure, width: width - 55 - 45 - 55 - 85, align: 'left' as const },
    { title: s.tooth, width: 45, align: 'left' as const },
    { title: s.surfaces, width: 55, align: 'left' as const },
    { title: s.fee, width: 85, align: 'right' as const },
  ];
  const row = (cells: string[], bold = false) => {
    if (doc.y > doc.page.height - margin - 60) doc.addPage();
    const top = doc.y;
    let x = margin;
    let bottom = top;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(10).fillColor(ink);
    cells.forEach((cell, i) => {
      const column = columns[i]!;
      doc.text(cell, x, top, { width: column.width - 6, align: column.align });
      bottom = Math.max(bottom, doc.y);
      x += column.width;
    });
    doc.y = bottom + 4;
    doc.x = margin;
  };
  let total = 0;
  for (const phase of plan.phases) {
    doc.font('Helvetica-Bold').fontSize(11).fillColor(accent).text(`${s.phase}${colonOf(input.language)}${phase.title}`, margin, doc.y, { width });
    doc.moveDown(0.2);
    row(columns.map((c) => c.title), true);
    for (const p of phase.procedures) {
      total += p.feeCents;
      row([p.code, p.description ?? p.code, p.tooth === null ? '—' : String(p.tooth), p.surfaces ?? '—', formatMoney(p.feeCents, input.language)]);
    }
    doc.moveDown(0.5);
  }
  const y = doc.y + 2;
  doc.moveTo(margin, y).lineTo(margin + width, y).lineWidth(0.5).strokeColor(muted).stroke();
  doc.y = y + 6;
  row(['', s.total, '', '', formatMoney(total, input.language)], true);
}
