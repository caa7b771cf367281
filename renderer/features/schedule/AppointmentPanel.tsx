import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Appointment, AppointmentStatus } from '../../../contract/index.js';
import { useCall, useCusp, useEvent } from '../../api/CuspProvider.js';
import { useCan } from '../auth/AuthProvider.js';
import { formatDateTime, fullName, imageHref, patientHref } from '../patients/format.js';

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
  const canViewImages = useCan()('imaging.view');

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
      {canViewImages && <VisitImages appointment={a} />}
      {a.status !== 'cancelled' && a.status !== 'completed' && (
        <button type="button" className="danger" disabled={busy} onClick={() => run(() => client.call('appointments.cancel', { id: a.id, version: a.version }))}>
          {t('schedule.cancelAppointment')}
        </button>
      )}
    </aside>
  );
}

/** Radiographs taken during this visit (ingest links them to the appointment), live as they arrive. */
function VisitImages({ appointment: a }: { appointment: Appointment }) {
  const { t } = useTranslation();
  const canOpen = useCan()('clinical');
  const { value, reload } = useCall('imaging.forAppointment', { appointmentId: a.id });
  useEvent('image.new', (event) => {
    if (event.appointmentId === a.id) reload();
  });
  if (!value?.images.length) return null;
  return (
    <>
      <h3>{t('schedule.visitImages')}</h3>
      <ul className="thumbs visit-images">
        {value.images.map((image) => {
          const thumb = image.thumb200 ? <img src={image.thumb200} alt={t('patients.chart.thumbAlt', { modality: image.modality })} /> : <span className="thumb-missing">{image.modality}</span>;
          return <li key={image.id}>{canOpen ? <a href={imageHref(a.patientId, image.id)}>{thumb}</a> : thumb}</li>;
        })}
      </ul>
    </>
  );
}
