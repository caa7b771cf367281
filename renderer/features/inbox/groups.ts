import type { InboxItem } from '../../../contract/index.js';

/** Images of the inbox that arrived together: same DICOM patient id and name, study date and sender. */
export interface InboxGroup {
  key: string;
  dicomPatientId: string | null;
  dicomPatientName: string | null;
  dicomBirthDate: string | null;
  studyDate: string | null;
  sentBy: string | null;
  items: InboxItem[];
}

export function groupInbox(items: InboxItem[]): InboxGroup[] {
  const groups = new Map<string, InboxGroup>();
  for (const item of items) {
    const key = JSON.stringify([item.dicomPatientId ?? '', item.dicomPatientName ?? '', item.studyDate ?? '', item.sentBy ?? '']);
    let group = groups.get(key);
    if (!group) {
      group = {
        key,
        dicomPatientId: item.dicomPatientId,
        dicomPatientName: item.dicomPatientName,
        dicomBirthDate: item.dicomBirthDate,
        studyDate: item.studyDate,
        sentBy: item.sentBy,
        items: [],
      };
      groups.set(key, group);
    }
    group.items.push(item);
  }
  return [...groups.values()];
}

/** A DICOM person name (`FAMILY^Given^Middle^Prefix^Suffix`) as people write it, or null when empty. */
export function dicomName(name: string | null): string | null {
  if (!name) return null;
  const [family = '', given = '', middle = ''] = name.split('=')[0]!.split('^');
  const text = [family.trim(), [given, middle].map((s) => s.trim()).filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return text || null;
}

/** YYYYMMDD → YYYY-MM-DD (null when it is not a date). */
export function dicomDateIso(value: string | null): string | null {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value?.trim() ?? '');
  return match ? `${match[1]}-${match[2]}-${match[3]}` : null;
}
