import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PatientSummary } from '../../../contract/index.js';
import { useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { Modal } from '../common/Modal.js';
import { formatDate, fullName } from '../patients/format.js';

const debounceMs = 150;

/**
 * Chooses the patient for the selected inbox images with the patients' own search (words in any
 * order, accents and case ignored), then files them in one call. "Remember" adds the images'
 * DICOM patient id to the patient, offered only when they all carry the same one.
 */
export function AssignDialog({
  jobIds,
  dicomPatientIds,
  onClose,
  onAssigned,
}: {
  jobIds: string[];
  dicomPatientIds: string[];
  onClose: () => void;
  onAssigned: (patient: PatientSummary, count: number) => void;
}) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const [query, setQuery] = useState('');
  const [patients, setPatients] = useState<PatientSummary[] | null>(null);
  const [chosen, setChosen] = useState<PatientSummary | null>(null);
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const canRemember = dicomPatientIds.length === 1;

  useEffect(() => {
    const text = query.trim();
    if (!text) return setPatients(null);
    let current = true;
    const timer = setTimeout(() => {
      client.call('patients.search', { query: text, limit: 20 }).then(
        (result) => current && (setError(null), setPatients(result.patients.filter((p) => !p.archived))),
        (failure: unknown) => current && setError(failure),
      );
    }, debounceMs);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, query]);

  const assign = async () => {
    if (!chosen) return;
    setSaving(true);
    setError(null);
    try {
      const result = await client.call('ingest.assignMany', { jobIds, patientId: chosen.id, rememberDicomId: canRemember && remember });
      onAssigned(chosen, result.images.length);
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  };

  return (
    <Modal title={t('inbox.assign.title', { n: jobIds.length })} onClose={onClose}>
      <label className="field">
        <span>{t('inbox.assign.search')}</span>
        <input type="search" value={query} autoFocus onChange={(event) => setQuery(event.target.value)} placeholder={t('patients.search.placeholder')} />
      </label>
      {patients && !patients.length && <p className="muted">{t('inbox.assign.none')}</p>}
      {patients && patients.length > 0 && (
        <fieldset className="patient-choices">
          <legend className="visually-hidden">{t('inbox.assign.results')}</legend>
          {patients.map((p) => (
            <label key={p.id} className="patient-choice">
              <input type="radio" name="assign-patient" checked={chosen?.id === p.id} onChange={() => setChosen(p)} />
              <span>
                {fullName(p)} · {t('patients.chartNumber', { number: p.chartNumber })}
                {p.birthDate && ` · ${formatDate(p.birthDate, i18n.language)}`}
              </span>
            </label>
          ))}
        </fieldset>
      )}
      {canRemember && (
        <label className="checkbox">
          <input type="checkbox" checked={remember} onChange={(event) => setRemember(event.target.checked)} />
          <span>{t('inbox.assign.remember', { id: dicomPatientIds[0] })}</span>
        </label>
      )}
      {error !== null && <ErrorMessage error={error} />}
      <div className="form-actions">
        <button type="button" className="primary" disabled={!chosen || saving} onClick={() => void assign()}>
          {chosen ? t('inbox.assign.confirm', { n: jobIds.length, name: fullName(chosen) }) : t('inbox.assign.choose')}
        </button>
        <button type="button" onClick={onClose}>
          {t('common.cancel')}
        </button>
      </div>
    </Modal>
  );
}
