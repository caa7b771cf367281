import { useCallback, useEffect, useMemo, useState } from 'react';
import { Calendar, type SlotInfo } from 'react-big-calendar';
import dragAndDrop, { type EventInteractionArgs } from 'react-big-calendar/lib/addons/dragAndDrop';
import 'react-big-calendar/lib/css/react-big-calendar.css';
import 'react-big-calendar/lib/addons/dragAndDrop/styles.css';
import { useTranslation } from 'react-i18next';
import type { Appointment, CallError, Operatory } from '../../../contract/index.js';
import { useCall, useCusp } from '../../api/CuspProvider.js';
import { PageHeading } from '../../pages/PlaceholderPage.js';
import { ErrorMessage, toCallError } from '../../shell/ErrorMessage.js';
import { useRoutePath } from '../../shell/router.js';
import { AppointmentPanel } from './AppointmentPanel.js';
import { BookingDialog, type Slot } from './BookingDialog.js';
import { DayList } from './DayList.js';
import { calendarMessages, localizer, rangeOf, toEvent, type CalendarEvent } from './calendar.js';

// The addon ships only as CommonJS with `exports.default`; the production bundle hands over the
// exports object itself, the dev server the function: take whichever is callable.
const withDragAndDrop = (dragAndDrop as unknown as { default?: typeof dragAndDrop }).default ?? dragAndDrop;
const DnDCalendar = withDragAndDrop<CalendarEvent, Operatory>(Calendar);
const dayStart = new Date(1970, 0, 1, 7, 0);
const dayEnd = new Date(1970, 0, 1, 20, 0);
const clickedSlotMinutes = 30;

/**
 * The front desk's schedule: one column per operatory, drag across an empty slot (or click it)
 * to book, drag an appointment to move it or its edge to resize it, click it for its statuses.
 * In day view the day's list beside the grid shows each patient's newest radiographs.
 * Main refuses a double booking with CONFLICT; the grid then shows why and reloads.
 */
export function SchedulePage() {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const preselected = new URLSearchParams(useRoutePath().split('?')[1] ?? '').get('patient');
  const [date, setDate] = useState(() => new Date());
  const [view, setView] = useState<'day' | 'week'>('day');
  const [slot, setSlot] = useState<Slot | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [problem, setProblem] = useState<CallError | null>(null);
  const operatories = useCall('schedule.operatories', {});
  const providers = useCall('schedule.providers', {});
  const range = rangeOf(date, view);
  const list = useAppointments(range);
  const { reload } = list;

  const chairs = useMemo(() => operatories.value?.operatories.filter((o) => o.active) ?? [], [operatories.value]);
  const events = useMemo(() => list.value?.appointments.map(toEvent) ?? [], [list.value]);
  const selected = list.value?.appointments.find((a) => a.id === selectedId) ?? null;

  useEffect(() => {
    document.title = `${t('schedule.title')} — ${t('app.name')}`;
  }, [t]);

  const report = useCallback((error: unknown) => setProblem(toCallError(error)), []);

  const onChanged = useCallback(
    (appointment: Appointment | null) => {
      setProblem(null);
      reload();
      if (appointment) setSelectedId(appointment.id);
    },
    [reload],
  );

  async function move({ event, start, end, resourceId }: EventInteractionArgs<CalendarEvent>) {
    const a = event.appointment;
    const result = await client.tryCall('appointments.move', {
      id: a.id,
      version: a.version,
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(end).toISOString(),
      operatoryId: typeof resourceId === 'string' ? resourceId : a.operatoryId,
    });
    if (result.ok) onChanged(result.value);
    else {
      report(result.error);
      reload();
    }
  }

  function select(info: SlotInfo) {
    const start = new Date(info.start);
    const end = info.action === 'select' ? new Date(info.end) : new Date(start.getTime() + clickedSlotMinutes * 60_000);
    const operatoryId = typeof info.resourceId === 'string' ? info.resourceId : chairs[0]?.id;
    if (operatoryId) setSlot({ start, end, operatoryId });
  }

  const failure = operatories.error ?? providers.error ?? list.error;
  return (
    <div className="schedule">
      <PageHeading title={t('schedule.title')} lead={t('schedule.lead')} />
      {problem && <ScheduleProblem problem={problem} onDismiss={() => setProblem(null)} />}
      {failure !== null && <ErrorMessage error={failure} onRetry={reload} />}
      {operatories.value && !chairs.length && <p className="notice">{t('schedule.noChairs')}</p>}
      <div className="schedule-body">
        <div className="calendar-frame" data-view={view} aria-busy={list.busy}>
          <DnDCalendar
            localizer={localizer}
            culture={i18n.language}
            messages={calendarMessages(t)}
            events={events}
            resources={chairs}
            resourceIdAccessor={(chair) => chair.id}
            resourceTitleAccessor={(chair) => chair.name}
            date={date}
            onNavigate={setDate}
            view={view}
            views={['day', 'week']}
            onView={(next) => setView(next === 'week' ? 'week' : 'day')}
            step={15}
            timeslots={4}
            min={dayStart}
            max={dayEnd}
            scrollToTime={dayStart}
            selectable
            resizable
            onSelectSlot={select}
            onSelectEvent={(event) => setSelectedId(event.id)}
            onEventDrop={move}
            onEventResize={move}
            draggableAccessor={(event) => isOpen(event.appointment)}
            resizableAccessor={(event) => isOpen(event.appointment)}
            eventPropGetter={(event) => ({
              className: `appointment status-${event.appointment.status}${event.id === selectedId ? ' selected' : ''}`,
            })}
            components={{ event: EventContent }}
            formats={{ timeGutterFormat: 'LT', eventTimeRangeFormat: () => '' }}
            style={{ height: '100%' }}
          />
        </div>
        {selected ? (
          <AppointmentPanel appointment={selected} onChanged={onChanged} onError={report} onClose={() => setSelectedId(null)} />
        ) : (
          view === 'day' && list.value && <DayList appointments={list.value.appointments} chairs={chairs} selectedId={selectedId} onSelect={setSelectedId} />
        )}
      </div>
      {slot && (
        <BookingDialog
          slot={slot}
          chairs={chairs}
          providers={providers.value?.providers.filter((p) => p.active) ?? []}
          patientId={preselected}
          onClose={() => setSlot(null)}
          onBooked={(appointment) => {
            setSlot(null);
            onChanged(appointment);
          }}
        />
      )}
    </div>
  );
}

/** The appointments of [from, to); `busy` until the answer for this very range is in. */
function useAppointments(range: { from: string; to: string }) {
  const client = useCusp();
  const key = `${range.from}/${range.to}`;
  const [loaded, setLoaded] = useState<{ key: string; appointments: Appointment[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    const [from, to] = key.split('/') as [string, string];
    client.call('appointments.list', { from, to }).then(
      ({ appointments }) => current && (setError(null), setLoaded({ key, appointments })),
      (failure: unknown) => current && setError(failure),
    );
    return () => {
      current = false;
    };
  }, [client, key, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { value: loaded, error, reload, busy: loaded?.key !== key };
}

const isOpen = (a: Appointment) => !['completed', 'no_show', 'cancelled'].includes(a.status);

function EventContent({ event }: { event: CalendarEvent }) {
  const { t, i18n } = useTranslation();
  const time = (d: Date) => d.toLocaleTimeString(i18n.language, { hour: '2-digit', minute: '2-digit' });
  return (
    <div className="appointment-content" data-appointment={event.id} data-status={event.appointment.status}>
      <span className="appointment-time">
        {time(event.start)}–{time(event.end)}
      </span>
      <strong className="appointment-patient">{event.title}</strong>
      <span className="appointment-status">{t(`schedule.status.${event.appointment.status}`)}</span>
      {event.appointment.reason && <span className="appointment-reason">{event.appointment.reason}</span>}
    </div>
  );
}

/** A refused booking or move, in words: CONFLICT is a taken chair or a stale edit. */
export function ScheduleProblem({ problem, onDismiss }: { problem: CallError; onDismiss: () => void }) {
  const { t } = useTranslation();
  if (problem.code !== 'CONFLICT') return <ErrorMessage error={problem} onRetry={onDismiss} />;
  const stale = /changed by someone else/.test(problem.message);
  return (
    <div className="error-message schedule-conflict" role="alert" data-code="CONFLICT">
      <p className="error-title">{stale ? t('schedule.staleTitle') : t('schedule.conflictTitle')}</p>
      <p>{stale ? t('schedule.stale') : t('schedule.conflict')}</p>
      <button type="button" onClick={onDismiss}>
        {t('common.dismiss')}
      </button>
    </div>
  );
}
