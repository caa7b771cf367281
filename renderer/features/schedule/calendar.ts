import dayjs from 'dayjs';
import 'dayjs/locale/fr';
import { dayjsLocalizer, type Messages } from 'react-big-calendar';
import type { TFunction } from 'i18next';
import type { Appointment } from '../../../contract/index.js';

/**
 * The schedule grid is react-big-calendar (MIT, React 19): its day and week views take one
 * column per resource — our operatories — and its drag-and-drop addon moves, resizes and
 * creates by dragging. Dates go through dayjs in the UI language.
 */
export const localizer = dayjsLocalizer(dayjs);

export interface CalendarEvent {
  id: string;
  title: string;
  start: Date;
  end: Date;
  resourceId: string;
  appointment: Appointment;
}

export const toEvent = (a: Appointment): CalendarEvent => ({
  id: a.id,
  title: `${a.patient.familyName}, ${a.patient.givenName}`,
  start: new Date(a.startsAt),
  end: new Date(a.endsAt),
  resourceId: a.operatoryId,
  appointment: a,
});

/** [start, end) of the local day or week that contains `date`, as UTC instants for the contract. */
export function rangeOf(date: Date, view: 'day' | 'week'): { from: string; to: string } {
  const start = view === 'day' ? dayjs(date).startOf('day') : dayjs(date).startOf('day').subtract((dayjs(date).day() + 6) % 7, 'day');
  return { from: start.toISOString(), to: start.add(view === 'day' ? 1 : 7, 'day').toISOString() };
}

export function calendarMessages(t: TFunction): Messages {
  return {
    today: t('schedule.today'),
    previous: t('schedule.previous'),
    next: t('schedule.next'),
    day: t('schedule.day'),
    week: t('schedule.week'),
    noEventsInRange: t('schedule.empty'),
    showMore: (count: number) => t('schedule.more', { n: count }),
  };
}
