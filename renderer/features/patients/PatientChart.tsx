import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Appointment, ImageRecord, PatientDetail } from '../../../contract/index.js';
import { useCall } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { useCan } from '../auth/AuthProvider.js';
import { ImportPanel } from '../import/ImportPanel.js';
import { SharePanel } from '../share/SharePanel.js';
import { ageOn, formatDate, formatDateTime, fullName, imageHref, patientHref } from './format.js';
import { formatMoney, planHref } from '../treatment/format.js';
import { mountsHref } from '../mounts/links.js';

/**
 * The chart: who the patient is, what to watch for, their appointments, their images and —
 * for clinical roles only — their treatment plans. Opening it is audited in main.
 */
export function PatientChart({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const can = useCan();
  const { value: patient, error, reload } = useCall('patients.get', { id });
  // Bumped when a drop-and-import on this chart ends: the image list is read again.
  const [imagesVersion, setImagesVersion] = useState(0);

  if (error !== null) return <ErrorMessage error={error} onRetry={reload} />;
  if (!patient) return <p aria-busy="true">{t('common.loading')}</p>;

  return (
    <div className="chart">
      <header className="chart-header">
        <div>
          <h1 id="page-title" tabIndex={-1}>
            {fullName(patient)}
          </h1>
          <p className="lead">
            {t('patients.chartNumber', { number: patient.chartNumber })}
            {patient.birthDate && ` · ${t('patients.age', { age: ageOn(patient.birthDate) })}`}
            {` · ${t(`language.${patient.language}`)}`}
          </p>
        </div>
        <div className="form-actions">
          <a className="button" href={patientHref(patient.id, 'edit')}>
            {t('patients.edit')}
          </a>
          {can('imaging.view') && (
            <a className="button" href={mountsHref(patient.id)}>
              {t('mounts.open')}
            </a>
          )}
          <a className="button primary" href={`#/schedule?patient=${patient.id}`}>
            {t('patients.book')}
          </a>
        </div>
      </header>
      <Alerts patient={patient} />
      <div className="chart-grid">
        <section className="card" aria-labelledby="demographics-title">
          <h2 id="demographics-title">{t('patients.chart.demographics')}</h2>
          <dl className="facts">
            <dt>{t('patients.field.birthDate')}</dt>
            <dd>{patient.birthDate ? formatDate(patient.birthDate, i18n.language) : '—'}</dd>
            <dt>{t('patients.field.sex')}</dt>
            <dd>{t(`patients.sex.${patient.sex}`)}</dd>
            <dt>{t('patients.field.phone')}</dt>
            <dd>{patient.phone ?? '—'}</dd>
            <dt>{t('patients.field.email')}</dt>
            <dd>{patient.email ?? '—'}</dd>
            <dt>{t('patients.field.address')}</dt>
            <dd>{patient.address ?? '—'}</dd>
          </dl>
        </section>
        <Appointments patientId={patient.id} />
      </div>
      {can('imaging.view') && <ImagingTimeline key={imagesVersion} patientId={patient.id} />}
      {can('clinical') && <ImportPanel patientId={patient.id} onImported={() => setImagesVersion((n) => n + 1)} />}
      {can('clinical') && <TreatmentPlans patientId={patient.id} />}
      {can('clinical') && <SharePanel patientId={patient.id} />}
    </div>
  );
}

/** What the front desk and the chair must see first: archived chart, missing or expired consents. */
function Alerts({ patient }: { patient: PatientDetail }) {
  const { t, i18n } = useTranslation();
  const today = new Date().toISOString().slice(0, 10);
  const alerts: string[] = [];
  if (patient.archived) alerts.push(t('patients.alerts.archived'));
  if (!patient.consents.length) alerts.push(t('patients.alerts.noConsent'));
  for (const consent of patient.consents) {
    if (consent.expiresOn && consent.expiresOn < today) {
      alerts.push(t('patients.alerts.consentExpired', { scope: consent.scope, date: formatDate(consent.expiresOn, i18n.language) }));
    }
  }
  if (!alerts.length) return null;
  return (
    <section className="alerts" aria-label={t('patients.alerts.title')}>
      <ul>
        {alerts.map((alert) => (
          <li key={alert}>{alert}</li>
        ))}
      </ul>
    </section>
  );
}

function Appointments({ patientId }: { patientId: string }) {
  const { t, i18n } = useTranslation();
  const { value, error, reload } = useCall('appointments.forPatient', { patientId });
  const now = new Date().toISOString();
  const sorted = [...(value?.appointments ?? [])].sort((a, b) => b.startsAt.localeCompare(a.startsAt));
  const upcoming = sorted.filter((a) => a.startsAt >= now).reverse();
  const past = sorted.filter((a) => a.startsAt < now).slice(0, 10);
  const row = (a: Appointment) => (
    <li key={a.id} data-status={a.status}>
      <span>{formatDateTime(a.startsAt, i18n.language)}</span>
      <span className={`badge status-${a.status}`}>{t(`schedule.status.${a.status}`)}</span>
      {a.reason && <span className="muted">{a.reason}</span>}
    </li>
  );
  return (
    <section className="card" aria-labelledby="appointments-title">
      <h2 id="appointments-title">{t('patients.chart.appointments')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && !sorted.length && <p className="muted">{t('patients.chart.noAppointments')}</p>}
      {upcoming.length > 0 && (
        <>
          <h3>{t('patients.chart.upcoming')}</h3>
          <ul className="appointment-list">{upcoming.map(row)}</ul>
        </>
      )}
      {past.length > 0 && (
        <>
          <h3>{t('patients.chart.past')}</h3>
          <ul className="appointment-list">{past.map(row)}</ul>
        </>
      )}
    </section>
  );
}

/** Thumbnails grouped by day, newest first (the viewer opens them in a later step). */
function ImagingTimeline({ patientId }: { patientId: string }) {
  const { t, i18n } = useTranslation();
  // The front desk sees thumbnails for pre-appointment review; the viewer's diagnostic tools are clinical.
  const canOpen = useCan()('clinical');
  const { value, error, reload } = useCall('imaging.forPatient', { patientId, limit: 500 });
  const groups = new Map<string, ImageRecord[]>();
  for (const image of value?.images ?? []) {
    const day = image.acquiredAt?.slice(0, 10) ?? '';
    groups.set(day, [...(groups.get(day) ?? []), image]);
  }
  const thumbnail = (image: ImageRecord) =>
    image.thumb200 ? <img src={image.thumb200} alt={t('patients.chart.thumbAlt', { modality: image.modality })} /> : <span className="thumb-missing">{image.modality}</span>;
  return (
    <section className="card" aria-labelledby="imaging-title">
      <h2 id="imaging-title">{t('patients.chart.imaging')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && !value.images.length && <p className="muted">{t('patients.chart.noImages')}</p>}
      {[...groups].map(([day, images]) => (
        <div className="timeline-day" key={day}>
          <h3>{day ? formatDate(day, i18n.language) : t('patients.chart.undated')}</h3>
          <ul className="thumbs">
            {images.map((image) => (
              <li key={image.id}>
                {canOpen ? <a href={imageHref(patientId, image.id)}>{thumbnail(image)}</a> : thumbnail(image)}
                <span className="thumb-caption">
                  {image.modality}
                  {image.teeth.length > 0 && ` · ${image.teeth.join(', ')}`}
                </span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

function TreatmentPlans({ patientId }: { patientId: string }) {
  const { t, i18n } = useTranslation();
  const { value, error, reload } = useCall('treatment.plans', { patientId });
  return (
    <section className="card" aria-labelledby="plans-title">
      <h2 id="plans-title">{t('patients.chart.plans')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && !value.plans.length && <p className="muted">{t('patients.chart.noPlans')}</p>}
      <ul className="plan-list">
        {value?.plans.map((plan) => (
          <li key={plan.id}>
            <a href={planHref(patientId, plan.id)}>
              <strong>{plan.title}</strong>
            </a>
            <span className="badge">{t(`patients.planStatus.${plan.status}`)}</span>
            <span className="muted">{t('patients.chart.procedures', { n: plan.phases.reduce((n, p) => n + p.procedures.length, 0) })}</span>
            <span className="muted">{formatMoney(plan.totals.proposedCents, i18n.language)}</span>
          </li>
        ))}
      </ul>
      <p className="form-actions">
        <a className="button open-plans" href={planHref(patientId)}>
          {t('treatment.open')}
        </a>
      </p>
    </section>
  );
}
