import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput } from '../../../contract/index.js';
import { useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { Field } from '../common/Field.js';
import { AccountFields } from './AccountFields.js';
import { AuthLayout } from './AuthLayout.js';
import { useAuth } from './AuthProvider.js';
import { checkNewAccount, type AccountProblems } from './validation.js';

/**
 * First run: a data folder without a practice. Either create the practice and its first
 * administrator (signed in at once), or fill it with the fictional demo practice.
 */
export function WelcomePage() {
  const { t } = useTranslation();
  return (
    <AuthLayout title={t('welcome.title')} lead={t('welcome.lead')} wide>
      <div className="welcome-choices">
        <SetupForm />
        <DemoChoice />
      </div>
    </AuthLayout>
  );
}

function SetupForm() {
  const { t } = useTranslation();
  const client = useCusp();
  const { update } = useAuth();
  const [form, setForm] = useState({ practiceName: '', displayName: '', username: '', password: '', confirm: '' });
  const [problems, setProblems] = useState<AccountProblems & { practiceName?: 'required' }>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = { ...checkNewAccount(form), ...(form.practiceName.trim() ? {} : { practiceName: 'required' as const }) };
    setProblems(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setFailure(null);
    const result = await client.tryCall('auth.setupPractice', {
      practiceName: form.practiceName,
      admin: { username: form.username, displayName: form.displayName, password: form.password },
    });
    setBusy(false);
    if (result.ok) update(result.value);
    else setFailure(result.error);
  }

  return (
    <form className="card welcome-card" onSubmit={submit} noValidate aria-labelledby="setup-title">
      <h2 id="setup-title">{t('welcome.setup.title')}</h2>
      <p className="card-lead">{t('welcome.setup.lead')}</p>
      <Field label={t('welcome.setup.practiceName')} error={problems.practiceName && t('validation.required')}>
        {(props) => <input {...props} value={form.practiceName} onChange={set('practiceName')} autoComplete="organization" />}
      </Field>
      <fieldset>
        <legend>{t('welcome.setup.admin')}</legend>
        <AccountFields values={form} problems={problems} onChange={set} />
      </fieldset>
      {failure !== null && <ErrorMessage error={failure} />}
      <button type="submit" className="primary" disabled={busy}>
        {t('welcome.setup.submit')}
      </button>
    </form>
  );
}

function DemoChoice() {
  const { t } = useTranslation();
  const client = useCusp();
  const { refresh } = useAuth();
  const [demo, setDemo] = useState<MethodOutput<'practice.createDemo'> | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function load() {
    setBusy(true);
    setFailure(null);
    const result = await client.tryCall('practice.createDemo', {});
    setBusy(false);
    if (result.ok) setDemo(result.value);
    else setFailure(result.error);
  }

  return (
    <section className="card welcome-card demo-card" aria-labelledby="demo-title">
      <h2 id="demo-title">{t('welcome.demo.title')}</h2>
      <p className="card-lead">{t('welcome.demo.lead')}</p>
      {failure !== null && <ErrorMessage error={failure} />}
      {!demo ? (
        <button type="button" onClick={load} disabled={busy} aria-busy={busy}>
          {busy ? t('welcome.demo.loading') : t('welcome.demo.load')}
        </button>
      ) : (
        <div role="status">
          <p>{t('welcome.demo.done', { patients: demo.patients, appointments: demo.appointments })}</p>
          <table className="data-table compact">
            <caption>{t('welcome.demo.accounts', { password: demo.password })}</caption>
            <tbody>
              {demo.users.map((user) => (
                <tr key={user.username}>
                  <td className="path">{user.username}</td>
                  <td>{t(`roles.${roleKey(user.role)}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" className="primary" onClick={refresh}>
            {t('welcome.demo.continue')}
          </button>
        </div>
      )}
    </section>
  );
}

const roleKeys = ['dentist', 'hygienist', 'assistant', 'frontdesk', 'admin'] as const;
const roleKey = (role: string) => roleKeys.find((r) => r === role) ?? 'assistant';
