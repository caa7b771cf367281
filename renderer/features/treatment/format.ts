import { procedureCode } from '../../../contract/cdt.js';
import { fdiToUniversal, type ImageRecord, type Procedure, type ProcedureStatus } from '../../../contract/index.js';

/** Fees are kept in cents; practices here bill in Canadian dollars. */
export function formatMoney(cents: number, language: string): string {
  return new Intl.NumberFormat(`${language}-CA`, { style: 'currency', currency: 'CAD' }).format(cents / 100);
}

/** "185", "185.5", "185,50" → 18550; null when it is not an amount. */
export function parseMoney(text: string): number | null {
  const cleaned = text.replace(/[\s$]/g, '').replace(',', '.');
  if (!cleaned) return 0;
  if (!/^\d+(\.\d{0,2})?$/.test(cleaned)) return null;
  return Math.round(Number(cleaned) * 100);
}

export type Numbering = 'fdi' | 'universal';

const numberingKey = (userId: string) => `cusp.toothNumbering.${userId}`;

/** The tooth numbering a user last chose on this computer (FDI unless they switched). */
export function readNumbering(userId: string | undefined): Numbering {
  try {
    return userId && window.localStorage.getItem(numberingKey(userId)) === 'universal' ? 'universal' : 'fdi';
  } catch {
    return 'fdi';
  }
}

export function storeNumbering(userId: string | undefined, numbering: Numbering): void {
  try {
    if (userId) window.localStorage.setItem(numberingKey(userId), numbering);
  } catch {
    // Storage disabled: the choice holds for this page only.
  }
}

export const toothLabel = (fdi: number, numbering: Numbering) => (numbering === 'fdi' ? String(fdi) : fdiToUniversal(fdi));

/** The description to show: the one written on the procedure, else the catalogue's in the UI language. */
export function procedureDescription(p: Pick<Procedure, 'cdtCode' | 'description'>, language: string): string {
  if (p.description) return p.description;
  const code = procedureCode(p.cdtCode);
  if (!code) return '';
  return language === 'fr' ? code.fr : code.en;
}

/** Front teeth (incisors and canines) have facial and incisal surfaces; back teeth buccal and occlusal. */
export const isAnterior = (fdi: number) => fdi % 10 <= 3;

/** The statuses in the order a chart colours a tooth: what is still to do shows first. */
export const statusOrder: readonly ProcedureStatus[] = ['proposed', 'accepted', 'scheduled', 'completed', 'declined'];

/** The viewer's side-by-side comparison: before first, then after. */
export const compareHref = (patientId: string, beforeId: string, afterId: string) => `#/patients/${patientId}/compare?images=${beforeId},${afterId}`;

export const planHref = (patientId: string, planId?: string) => `#/patients/${patientId}/plans${planId ? `/${planId}` : ''}`;

/** Older image first; undated images count as oldest. */
export function beforeAfter(a: ImageRecord, b: ImageRecord): [ImageRecord, ImageRecord] {
  return (a.acquiredAt ?? '') <= (b.acquiredAt ?? '') ? [a, b] : [b, a];
}

/**
 * The newest image of the same region as `image`, other than itself: one showing a tooth it
 * shows, or of the same modality when neither lists teeth. `images` is newest first.
 */
export function latestOfRegion(image: ImageRecord, images: readonly ImageRecord[]): ImageRecord | null {
  return (
    images.find((other) => {
      if (other.id === image.id) return false;
      if (image.teeth.length) return other.teeth.some((tooth) => image.teeth.includes(tooth));
      return !other.teeth.length && other.modality === image.modality;
    }) ?? null
  );
}

export const todayLocal = () => new Date().toLocaleDateString('en-CA');
