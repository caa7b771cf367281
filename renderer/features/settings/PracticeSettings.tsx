import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { roles, type Provider, type Role } from '../../../contract/index.js';
import { useCall, useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage, toCallError } from '../../shell/ErrorMessage.js';
import { AccountFields } from '../auth/AccountFields.js';
import { checkNewAccount, type AccountProblems } from '../auth/validation.js';
import { Field } from '../common/Field.js';

/** Admin only: the people who sign in, the chairs and the providers of the practice. */
export function PracticeSettings() {
  return (
    <>
      <UsersCard />
      <ChairsCard />
      <ProvidersCard />
    </>
  );
}

function UsersCard() {
  const { t } = useTranslation();
  const client = useCusp();
  const { value, error, reload } = useCall('users.list', {});
  const blank = { displayName: '', username: '', password: '', confirm: '', role: 'frontdesk' as Role };
  const [form, setForm] = useState(blank);
  const [problems, setProblems] = useState<AccountProblems>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [created, setCreated] = useState<string | null>(null);
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = checkNewAccount(form);
    setProblems(found);
    setCreated(null);
    if (Object.keys(found).length) return;
    const result = await client.tryCall('users.create', { username: form.username, displayName: form.displayName, role: form.role, password: form.password });
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setForm(blank);
    setCreated(result.value.username);
    reload();
  }

  return (
    <section className="card" aria-labelledby="users-title">
      <h2 id="users-title">{t('users.title')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && (
        <table className="data-table compact">
          <thead>
            <tr>
              <th scope="col">{t('users.displayName')}</th>
              <th scope="col">{t('users.username')}</th>
              <th scope="col">{t('users.role')}</th>
            </tr>
          </thead>
          <tbody>
            {value.users.map((user) => (
              <tr key={user.id} className={user.active ? undefined : 'archived'}>
                <td>{user.displayName}</td>
                <td className="path">{user.username}</td>
                <td>{t(`roles.${user.role}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="inline-form" onSubmit={submit} noValidate aria-labelledby="new-user-title">
        <h3 id="new-user-title">{t('users.create')}</h3>
        <div className="form-grid">
          <AccountFields
            values={form}
            problems={problems}
            onChange={set}
            between={
              <Field label={t('users.role')}>
                {(props) => (
                  <select {...props} value={form.role} onChange={set('role')}>
                    {roles.map((role) => (
                      <option key={role} value={role}>
                        {t(`roles.${role}`)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            }
          />
        </div>
        {failure !== null && <ErrorMessage error={failure} />}
        {created && (
          <p className="success" role="status">
            {t('users.created', { username: created })}
          </p>
        )}
        <button type="submit" className="primary">
          {t('users.submit')}
        </button>
      </form>
    </section>
  );
}

function ChairsCard() {
  const { t } = useTranslation();
  const client = useCusp();
  const { value, error, reload } = useCall('schedule.operatories', {});
  const [name, setName] = useState('');
  const [aeTitles, setAeTitles] = useState('');
  const [missing, setMissing] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setMissing(!name.trim());
    if (!name.trim()) return;
    const titles = aeTitles.split(/[\s,]+/).filter(Boolean);
    const result = await client.tryCall('settings.createOperatory', { name, aeTitles: titles });
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setName('');
    setAeTitles('');
    reload();
  }

  return (
    <section className="card" aria-labelledby="chairs-title">
      <h2 id="chairs-title">{t('settings.chairs.title')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && !value.operatories.length && <p className="muted">{t('settings.chairs.none')}</p>}
      <ul className="plain-list">
        {value?.operatories.map((chair) => (
          <li key={chair.id}>
            <strong>{chair.name}</strong> {chair.aeTitles.length > 0 && <span className="muted path">{chair.aeTitles.join(', ')}</span>}
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={submit} noValidate>
        <div className="form-grid">
          <Field label={t('settings.chairs.name')} error={missing ? t('validation.required') : null}>
            {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label={t('settings.chairs.aeTitles')} hint={t('settings.chairs.aeHint')}>
            {(props) => <input {...props} value={aeTitles} onChange={(e) => setAeTitles(e.target.value)} />}
          </Field>
        </div>
        {failure !== null && <ErrorMessage error={failure} />}
        <button type="submit">{t('settings.chairs.add')}</button>
      </form>
    </section>
  );
}

const providerKinds: ReadonlyArray<Provider['kind']> = ['dentist', 'orthodontist', 'hygienist', 'assistant'];

function ProvidersCard() {
  const { t } = useTranslation();
  const client = useCusp();
  const { value, error, reload } = useCall('schedule.providers', {});
  const [displayName, setDisplayName] = useState('');
  const [kind, setKind] = useState<Provider['kind']>('dentist');
  const [missing, setMissing] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setMissing(!displayName.trim());
    if (!displayName.trim()) return;
    const result = await client.tryCall('settings.createProvider', { displayName, kind });
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setDisplayName('');
    reload();
  }

  return (
    <section className="card" aria-labelledby="providers-title">
      <h2 id="providers-title">{t('settings.providers.title')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && !value.providers.length && <p className="muted">{t('settings.providers.none')}</p>}
      <ul className="plain-list">
        {value?.providers.map((p) => (
          <li key={p.id}>
            <strong>{p.displayName}</strong> <span className="muted">{t(`settings.providers.kind.${p.kind}`)}</span>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={submit} noValidate>
        <div className="form-grid">
          <Field label={t('settings.providers.name')} error={missing ? t('validation.required') : null}>
            {(props) => <input {...props} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}
          </Field>
          <Field label={t('settings.providers.kindLabel')}>
            {(props) => (
              <select {...props} value={kind} onChange={(e) => setKind(e.target.value as Provider['kind'])}>
                {providerKinds.map((k) => (
                  <option key={k} value={k}>
                    {t(`settings.providers.kind.${k}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {failure !== null && <ErrorMessage error={failure} />}
        <button type="submit">{t('settings.providers.add')}</button>
      </form>
    </section>
  );
}

/** Everyone: change one's own password (the current one is asked again). */
export function MyPasswordCard() {
  const { t } = useTranslation();
  const client = useCusp();
  const [form, setForm] = useState({ current: '', next: '', confirm: '' });
  const [problems, setProblems] = useState<{ current?: 'required'; next?: 'required' | 'passwordShort'; confirm?: 'confirm' }>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = {
      ...(form.current ? {} : { current: 'required' as const }),
      ...(!form.next ? { next: 'required' as const } : form.next.length < 10 ? { next: 'passwordShort' as const } : {}),
      ...(form.next !== form.confirm ? { confirm: 'confirm' as const } : {}),
    };
    setProblems(found);
    setDone(false);
    if (Object.keys(found).length) return;
    const result = await client.tryCall('auth.changePassword', { current: form.current, next: form.next });
    setForm({ current: '', next: '', confirm: '' });
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setDone(true);
  }

  return (
    <section className="card" aria-labelledby="my-password-title">
      <h2 id="my-password-title">{t('settings.myPassword.title')}</h2>
      <form onSubmit={submit} noValidate>
        <div className="form-grid">
          <Field label={t('settings.myPassword.current')} error={problems.current && t('validation.required')}>
            {(props) => <input {...props} type="password" value={form.current} onChange={set('current')} autoComplete="current-password" />}
          </Field>
          <Field label={t('settings.myPassword.next')} hint={t('users.passwordHint')} error={problems.next && t(`validation.${problems.next}`)}>
            {(props) => <input {...props} type="password" value={form.next} onChange={set('next')} autoComplete="new-password" />}
          </Field>
          <Field label={t('users.confirm')} error={problems.confirm && t('validation.confirm')}>
            {(props) => <input {...props} type="password" value={form.confirm} onChange={set('confirm')} autoComplete="new-password" />}
          </Field>
        </div>
        {failure !== null &&
          (toCallError(failure).code === 'UNAUTHENTICATED' ? (
            <p className="form-error" role="alert">
              {t('settings.myPassword.wrong')}
            </p>
          ) : (
            <ErrorMessage error={failure} />
          ))}
        {done && (
          <p className="success" role="status">
            {t('settings.myPassword.done')}
          </p>
        )}
        <button type="submit">{t('settings.myPassword.submit')}</button>
      </form>
    </section>
  );
}
