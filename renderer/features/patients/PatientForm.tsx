import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Patient, PatientCreate } from '../../../contract/index.js';
import { useCusp } from '../../api/CuspProvider.js';
import { PageHeading } from '../../pages/PlaceholderPage.js';
import { ErrorMessage, toCallError } from '../../shell/ErrorMessage.js';
import { Field, invalidFields } from '../common/Field.js';
import { patientHref } from './format.js';

type FormValues = { familyName: string; givenName: string; birthDate: string; sex: Patient['sex']; phone: string; email: string; language: Patient['language']; address: string };
type FieldName = keyof FormValues;
type Problem = 'required' | 'email' | 'birthDateFuture' | 'phone' | 'invalid';

const empty: FormValues = { familyName: '', givenName: '', birthDate: '', sex: 'U', phone: '', email: '', language: 'fr', address: '' };

/** The checks the contract makes, said per field before anything is sent. */
export function checkPatient(values: FormValues, today = new Date().toISOString().slice(0, 10)): Partial<Record<FieldName, Problem>> {
  const problems: Partial<Record<FieldName, Problem>> = {};
  if (!values.familyName.trim()) problems.familyName = 'required';
  if (!values.givenName.trim()) problems.givenName = 'required';
  if (values.birthDate && values.birthDate > today) problems.birthDate = 'birthDateFuture';
  if (values.email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email.trim())) problems.email = 'email';
  if (values.phone.trim() && !/^[+()\d\s.-]{7,40}$/.test(values.phone.trim())) problems.phone = 'phone';
  return problems;
}

function toInput(values: FormValues): Omit<PatientCreate, 'chartNumber' | 'dicomPatientIds'> {
  const orNull = (text: string) => (text.trim() ? text.trim() : null);
  return {
    familyName: values.familyName.trim(),
    givenName: values.givenName.trim(),
    birthDate: values.birthDate || null,
    sex: values.sex,
    phone: orNull(values.phone),
    email: orNull(values.email),
    address: orNull(values.address),
    language: values.language,
  };
}

/** New patient (no id) or edit (id): every field checked as typed, main's verdict shown per field too. */
export function PatientFormPage({ id }: { id?: string }) {
  const { t } = useTranslation();
  const client = useCusp();
  const [values, setValues] = useState<FormValues | null>(id ? null : empty);
  const [version, setVersion] = useState(0);
  const [problems, setProblems] = useState<Partial<Record<FieldName, Problem>>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!id) return;
    client.call('patients.get', { id }).then((p) => {
      setVersion(p.version);
      setValues({
        familyName: p.familyName, givenName: p.givenName, birthDate: p.birthDate ?? '', sex: p.sex, phone: p.phone ?? '',
        email: p.email ?? '', language: p.language, address: p.address ?? '',
      });
    }, setFailure);
  }, [client, id]);

  if (!values) return failure !== null ? <ErrorMessage error={failure} /> : <p aria-busy="true">{t('common.loading')}</p>;

  const set = (name: FieldName) => (event: { target: { value: string } }) => {
    setValues({ ...values, [name]: event.target.value });
    if (problems[name]) setProblems({ ...problems, [name]: undefined });
  };
  const problem = (name: FieldName) => (problems[name] ? t(`validation.${problems[name]}`) : null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = checkPatient(values!);
    setProblems(found);
    if (Object.values(found).some(Boolean)) return;
    setBusy(true);
    const input = toInput(values!);
    const result = id ? await client.tryCall('patients.update', { id, version, changes: input }) : await client.tryCall('patients.create', input);
    setBusy(false);
    if (result.ok) {
      window.location.hash = patientHref(result.value.id);
      return;
    }
    setFailure(result.error);
    if (result.error.code === 'INVALID_INPUT') {
      const named = invalidFields(toCallError(result.error).message).filter((f): f is FieldName => f in empty);
      setProblems(Object.fromEntries(named.map((f) => [f, 'invalid'])));
    }
  }

  return (
    <>
      <PageHeading title={id ? t('patients.edit') : t('patients.new')} lead={t('patients.formLead')} />
      <form className="card patient-form" onSubmit={submit} noValidate>
        <div className="form-grid">
          <Field label={t('patients.field.familyName')} error={problem('familyName')}>
            {(props) => <input {...props} value={values.familyName} onChange={set('familyName')} autoComplete="off" autoFocus />}
          </Field>
          <Field label={t('patients.field.givenName')} error={problem('givenName')}>
            {(props) => <input {...props} value={values.givenName} onChange={set('givenName')} autoComplete="off" />}
          </Field>
          <Field label={t('patients.field.birthDate')} error={problem('birthDate')}>
            {(props) => <input {...props} type="date" value={values.birthDate} onChange={set('birthDate')} />}
          </Field>
          <Field label={t('patients.field.sex')}>
            {(props) => (
              <select {...props} value={values.sex} onChange={set('sex')}>
                {(['F', 'M', 'O', 'U'] as const).map((sex) => (
                  <option key={sex} value={sex}>
                    {t(`patients.sex.${sex}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('patients.field.phone')} error={problem('phone')}>
            {(props) => <input {...props} type="tel" value={values.phone} onChange={set('phone')} autoComplete="off" />}
          </Field>
          <Field label={t('patients.field.email')} error={problem('email')}>
            {(props) => <input {...props} type="email" value={values.email} onChange={set('email')} autoComplete="off" />}
          </Field>
          <Field label={t('patients.field.language')}>
            {(props) => (
              <select {...props} value={values.language} onChange={set('language')}>
                <option value="fr">{t('language.fr')}</option>
                <option value="en">{t('language.en')}</option>
              </select>
            )}
          </Field>
          <Field label={t('patients.field.address')}>
            {(props) => <textarea {...props} rows={2} value={values.address} onChange={set('address')} />}
          </Field>
        </div>
        {failure !== null && <ErrorMessage error={failure} />}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {t('common.save')}
          </button>
          <a className="button" href={id ? patientHref(id) : '#/patients'}>
            {t('common.cancel')}
          </a>
        </div>
      </form>
    </>
  );
}
