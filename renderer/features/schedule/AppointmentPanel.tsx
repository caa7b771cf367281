import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Appointment, AppointmentStatus } from '../../../contract/index.js';
import { useCusp } from '../../api/CuspProvider.js';
import { formatDateTime, fullName, patientHref } from '../patients/format.js';

/** The one-click statuses of the front desk's day, in the order a visit goes. */
const steps: readonly AppointmentStatus[] = ['arrived', 'in_chair', 'completed', 'no_show'];

/** The appointment picked on the grid: who, when, and its statuses in one click. */
export function AppointmentPanel({
  appointment: a,
  onChanged,
  onError,
  onClose,
}: {
  appointment: Appointment;
  onChanged: (appointment: Appointment) => void;
  onError: (error: unknown) => void;
  onClose: () => void;
}) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const [busy, setBusy] = useState(false);

  async function run(call: () => Promise<Appointment>) {
    setBusy(true);
    try {
      onChanged(await call());
    } catch (error) {
      onError(error);
    } finally {
      setBusy(false);
    }
  }
  const setStatus = (status: AppointmentStatus) => () => run(() => client.call('appointments.setStatus', { id: a.id, version: a.version, status }));

  return (
    <aside className="appointment-panel card" aria-labelledby="appointment-title">
      <div className="panel-head">
        <h2 id="appointment-title">
          <a href={patientHref(a.patientId)}>{fullName(a.patient)}</a>
        </h2>
        <button type="button" className="icon" onClick={onClose} aria-label={t('common.close')}>
          ×
        </button>
      </div>
      <p className="muted">
        {formatDateTime(a.startsAt, i18n.language)} · #{a.patient.chartNumber}
      </p>
      {a.reason && <p>{a.reason}</p>}
      <p>
        {t('schedule.statusLabel')}{' '}
        <span className={`badge status-${a.status}`} data-testid="appointment-status">
          {t(`schedule.status.${a.status}`)}
        </span>
      </p>
      <div className="status-buttons" role="group" aria-label={t('schedule.statusLabel')}>
        {steps.map((status) => (
          <button key={status} type="button" onClick={setStatus(status)} disabled={busy || a.status === status || a.status === 'cancelled'} aria-pressed={a.status === status}>
            {t(`schedule.status.${status}`)}
          </button>
        ))}
      </div>
      {a.status !== 'cancelled' && a.status !== 'completed' && (
        <button type="button" className="danger" disabled={busy} onClick={() => run(() => client.call('appointments.cancel', { id: a.id, version: a.version }))}>
          {t('schedule.cancelAppointment')}
        </button>
      )}
    </aside>
  );
}
