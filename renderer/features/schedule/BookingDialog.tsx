import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Appointment, CallError, Operatory, PatientSummary, Provider } from '../../../contract/index.js';
import { useCusp } from '../../api/CuspProvider.js';
import { toCallError } from '../../shell/ErrorMessage.js';
import { Field } from '../common/Field.js';
import { Modal } from '../common/Modal.js';
import { fullName } from '../patients/format.js';
import { ScheduleProblem } from './SchedulePage.js';

export interface Slot {
  start: Date;
  end: Date;
  operatoryId: string;
}

const durations = [15, 30, 45, 60, 90, 120];
const pad = (n: number) => String(n).padStart(2, '0');
const timeOf = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** Books the slot picked on the grid: who (search as you type), with whom, where, how long, why. */
export function BookingDialog({
  slot,
  chairs,
  providers,
  patientId,
  onClose,
  onBooked,
}: {
  slot: Slot;
  chairs: Operatory[];
  providers: Provider[];
  patientId: string | null;
  onClose: () => void;
  onBooked: (appointment: Appointment) => void;
}) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const [patient, setPatient] = useState<Pick<PatientSummary, 'id' | 'familyName' | 'givenName' | 'chartNumber'> | null>(null);
  const [query, setQuery] = useState('');
  const [matches, setMatches] = useState<PatientSummary[]>([]);
  const [providerId, setProviderId] = useState(providers[0]?.id ?? '');
  const [operatoryId, setOperatoryId] = useState(slot.operatoryId);
  const [time, setTime] = useState(timeOf(slot.start));
  const [minutes, setMinutes] = useState(() => Math.max(15, Math.round((slot.end.getTime() - slot.start.getTime()) / 60_000)));
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState<{ patient?: boolean; provider?: boolean }>({});
  const [problem, setProblem] = useState<CallError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (patientId) client.call('patients.get', { id: patientId }).then(setPatient, () => undefined);
  }, [client, patientId]);

  useEffect(() => {
    const text = query.trim();
    if (!text) return setMatches([]);
    let current = true;
    const timer = setTimeout(() => {
      client.call('patients.search', { query: text, limit: 8 }).then(({ patients }) => current && setMatches(patients), () => undefined);
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, query]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const empty = { patient: !patient, provider: !providerId };
    setMissing(empty);
    if (empty.patient || empty.provider) return;
    const [h, m] = time.split(':').map(Number);
    const start = new Date(slot.start);
    start.setHours(h!, m!, 0, 0);
    setBusy(true);
    const result = await client.tryCall('appointments.create', {
      patientId: patient!.id,
      providerId,
      operatoryId,
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + minutes * 60_000).toISOString(),
      reason: reason.trim() || null,
    });
    setBusy(false);
    if (result.ok) onBooked(result.value);
    else setProblem(toCallError(result.error));
  }

  const day = slot.start.toLocaleDateString(i18n.language, { weekday: 'long', day: 'numeric', month: 'long' });
  return (
    <Modal title={t('schedule.book.title', { day })} onClose={onClose}>
      <form className="booking-form" onSubmit={submit} noValidate>
        {patient ? (
          <div className="field">
            <span className="field-label">{t('schedule.book.patient')}</span>
            <p className="chosen">
              <strong>{fullName(patient)}</strong> <span className="muted">#{patient.chartNumber}</span>{' '}
              <button type="button" className="link" onClick={() => setPatient(null)}>
                {t('schedule.book.change')}
              </button>
            </p>
          </div>
        ) : (
          <Field label={t('schedule.book.patient')} error={missing.patient ? t('schedule.book.pickPatient') : null}>
            {(props) => (
              <div className="combo">
                <input {...props} type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder={t('patients.search.placeholder')} autoFocus autoComplete="off" />
                {matches.length > 0 && (
                  <ul className="combo-options" aria-label={t('patients.search.results')}>
                    {matches.map((p) => (
                      <li key={p.id}>
                        <button type="button" onClick={() => setPatient(p)}>
                          {fullName(p)} <span className="muted">#{p.chartNumber}</span>
                        </button>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            )}
          </Field>
        )}
        <div className="form-grid">
          <Field label={t('schedule.book.provider')} error={missing.provider ? t('schedule.book.noProvider') : null}>
            {(props) => (
              <select {...props} value={providerId} onChange={(e) => setProviderId(e.target.value)}>
                {providers.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.displayName}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('schedule.book.chair')}>
            {(props) => (
              <select {...props} value={operatoryId} onChange={(e) => setOperatoryId(e.target.value)}>
                {chairs.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('schedule.book.start')}>
            {(props) => <input {...props} type="time" step={900} value={time} onChange={(e) => setTime(e.target.value)} required />}
          </Field>
          <Field label={t('schedule.book.duration')}>
            {(props) => (
              <select {...props} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
                {[...new Set([...durations, minutes])].sort((a, b) => a - b).map((n) => (
                  <option key={n} value={n}>
                    {t('schedule.book.minutes', { n })}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <Field label={t('schedule.book.reason')}>
          {(props) => <input {...props} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />}
        </Field>
        {problem && <ScheduleProblem problem={problem} onDismiss={() => setProblem(null)} />}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {t('schedule.book.submit')}
          </button>
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
