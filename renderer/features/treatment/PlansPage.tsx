import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { formatDate, fullName, patientHref } from '../patients/format.js';
import { formatMoney, planHref } from './format.js';
import './treatment.css';

/** A patient's treatment plans, and a new one. */
export function PlansPage({ patientId }: { patientId: string }) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const id = useId();
  const patient = useCall('patients.get', { id: patientId });
  const { value, error, reload } = useCall('treatment.plans', { patientId });
  const [title, setTitle] = useState('');
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent) {
    event.preventDefault();
    if (!title.trim()) return;
    setFailure(null);
    setBusy(true);
    try {
      const plan = await client.call('treatment.createPlan', { patientId, title: title.trim() });
      window.location.hash = planHref(patientId, plan.id);
    } catch (failed) {
      setFailure(failed);
      setBusy(false);
    }
  }

  return (
    <div className="treatment-plans">
      <p>
        <a href={patientHref(patientId)}>{t('treatment.backToChart')}</a>
      </p>
      <div className="page-heading">
        <h1 id="page-title" tabIndex={-1}>
          {t('treatment.title')}
        </h1>
        <p className="lead">{patient.value ? fullName(patient.value) : '\u00a0'}</p>
      </div>
      <section className="card" aria-labelledby="plans-list-title">
        <h2 id="plans-list-title">{t('treatment.list')}</h2>
        {error !== null && <ErrorMessage error={error} onRetry={reload} />}
        {value && !value.plans.length && <p className="muted">{t('treatment.none')}</p>}
        <ul className="plan-list">
          {value?.plans.map((plan) => (
            <li key={plan.id} data-plan={plan.id}>
              <a href={planHref(patientId, plan.id)}>
                <strong>{plan.title}</strong>
              </a>
              <span className="badge">{t(`treatment.planStatus.${plan.status}`)}</span>
              <span className="muted">{formatDate(plan.createdAt.slice(0, 10), i18n.language)}</span>
              <span className="muted">
                {t('treatment.summary', {
                  n: plan.phases.reduce((n, ph) => n + ph.procedures.length, 0),
                  proposed: formatMoney(plan.totals.proposedCents, i18n.language),
                  completed: formatMoney(plan.totals.completedCents, i18n.language),
                })}
              </span>
            </li>
          ))}
        </ul>
        <form className="inline-form new-plan" onSubmit={create}>
          <div className="field">
            <label htmlFor={id}>{t('treatment.new')}</label>
            <input id={id} value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} placeholder={t('treatment.newPlaceholder')} />
          </div>
          {failure !== null && <ErrorMessage error={failure} />}
          <button type="submit" className="primary" disabled={busy || !title.trim()}>
            {t('treatment.create')}
          </button>
        </form>
      </section>
    </div>
  );
}
