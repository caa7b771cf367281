import type { PatientSummary } from '../../../contract/index.js';

/** "Tremblay, Hélène" — the order a front desk files and reads names in. */
export const fullName = (p: Pick<PatientSummary, 'familyName' | 'givenName'>) => `${p.familyName}, ${p.givenName}`;

/** A calendar date (YYYY-MM-DD) in the UI language, without shifting it through a time zone. */
export function formatDate(date: string, language: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d!)).toLocaleDateString(language, { timeZone: 'UTC', dateStyle: 'medium' });
}

/** Whole years from a birth date to today. */
export function ageOn(birthDate: string, today = new Date()): number {
  const [y, m, d] = birthDate.split('-').map(Number);
  let age = today.getFullYear() - y!;
  if (today.getMonth() + 1 < m! || (today.getMonth() + 1 === m! && today.getDate() < d!)) age -= 1;
  return age;
}

export const formatDateTime = (instant: string, language: string) =>
  new Date(instant).toLocaleString(language, { dateStyle: 'medium', timeStyle: 'short' });

export const patientHref = (id: string, action?: 'edit') => `#/patients/${id}${action ? `/${action}` : ''}`;
export const imageHref = (patientId: string, imageId: string) => `#/patients/${patientId}/images/${imageId}`;
