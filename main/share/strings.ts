import type { Language } from '../../contract/index.js';

/** The words of a patient's PDF, in the patient's language (main has no i18next). */
export interface PdfStrings {
  title: string;
  preparedFor: string;
  date: string;
  images: string;
  image: (n: number, total: number) => string;
  takenOn: string;
  undated: string;
  teeth: string;
  noTeeth: string;
  modality: Record<string, string>;
  plan: string;
  phase: string;
  code: string;
  procedure: string;
  tooth: string;
  surfaces: string;
  fee: string;
  total: string;
  page: (n: number, total: number) => string;
  notDiagnostic: string;
  phone: string;
}

export const pdfStrings: Record<Language, PdfStrings> = {
  fr: {
    title: 'Vos images et votre plan de traitement',
    preparedFor: 'Préparé pour',
    date: 'Date',
    images: 'Vos radiographies',
    image: (n, total) => `Image ${n} sur ${total}`,
    takenOn: 'Prise le',
    undated: 'Date de prise inconnue',
    teeth: 'Dents',
    noTeeth: 'non précisées',
    modality: { IO: 'Radiographie intrabuccale', PX: 'Radiographie panoramique', DX: 'Radiographie', CT: 'Tomodensitométrie', XC: 'Photographie', OT: 'Image' },
    plan: 'Plan de traitement proposé',
    phase: 'Étape',
    code: 'Code',
    procedure: 'Traitement',
    tooth: 'Dent',
    surfaces: 'Faces',
    fee: 'Honoraires',
    total: 'Total',
    page: (n, total) => `Page ${n} de ${total}`,
    notDiagnostic: 'Document remis au patient pour information ; les images ne servent pas au diagnostic.',
    phone: 'Tél.',
  },
  en: {
    title: 'Your images and treatment plan',
    preparedFor: 'Prepared for',
    date: 'Date',
    images: 'Your radiographs',
    image: (n, total) => `Image ${n} of ${total}`,
    takenOn: 'Taken on',
    undated: 'Date taken unknown',
    teeth: 'Teeth',
    noTeeth: 'not specified',
    modality: { IO: 'Intraoral radiograph', PX: 'Panoramic radiograph', DX: 'Radiograph', CT: 'CT scan', XC: 'Photograph', OT: 'Image' },
    plan: 'Proposed treatment plan',
    phase: 'Phase',
    code: 'Code',
    procedure: 'Procedure',
    tooth: 'Tooth',
    surfaces: 'Surfaces',
    fee: 'Fee',
    total: 'Total',
    page: (n, total) => `Page ${n} of ${total}`,
    notDiagnostic: 'Given to the patient for information; these images are not for diagnosis.',
    phone: 'Tel.',
  },
};

const locale = (language: Language) => (language === 'fr' ? 'fr-CA' : 'en-CA');

/**
 * Intl puts narrow and non-breaking spaces in French numbers and dates; the PDF's standard
 * fonts (WinAnsi) have no narrow one, so every such space becomes a plain one.
 */
const plainSpaces = (text: string) => text.replace(/[\u202f\u00a0]/g, ' ');

export const formatMoney = (cents: number, language: Language) =>
  plainSpaces(new Intl.NumberFormat(locale(language), { style: 'currency', currency: 'CAD' }).format(cents / 100));

/** A calendar date or instant as the patient reads it ("28 novembre 2026", "November 28, 2026"). */
export const formatLongDate = (isoDateOrInstant: string, language: Language) => {
  const dateOnly = isoDateOrInstant.length === 10;
  // A calendar date is that day everywhere; an instant is shown on this computer's clock.
  const format = new Intl.DateTimeFormat(locale(language), { year: 'numeric', month: 'long', day: 'numeric', ...(dateOnly ? { timeZone: 'UTC' } : {}) });
  return plainSpaces(format.format(new Date(dateOnly ? `${isoDateOrInstant}T12:00:00Z` : isoDateOrInstant)));
};
