import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  compressionPresetNames,
  type Compression,
  type Language,
  type MigrationStatus,
  type OrthancTestResult,
  type StoreForm,
  type StoreTestResult,
} from '../../../contract/index.js';
import { useCall, useCusp } from '../../api/CuspProvider.js';
import { storeLanguage } from '../../i18n/language.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { Field } from '../common/Field.js';

/**
 * Admin only: what the practice is connected to and how it keeps images — Orthanc, the image
 * store (with migration to another one), the practice language and the compression preset.
 * Every change goes through main, which validates and audits it; passwords and keys are sent
 * once and never shown again.
 */
export function AdminSettings() {
  return (
    <>
      <OrthancCard />
      <StorageCard />
      <PracticeLanguageCard />
      <CompressionCard />
    </>
  );
}

const bytes = (n: number, language: string) => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${new Intl.NumberFormat(language, { maximumFractionDigits: unit ? 1 : 0 }).format(value)} ${units[unit]}`;
};

function OrthancCard() {
  const { t } = useTranslation();
  const client = useCusp();
  const { value: saved, error, reload, setValue } = useCall('settings.orthanc', {});
  const [form, setForm] = useState({ url: '', username: '', password: '' });
  const [test, setTest] = useState<OrthancTestResult | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (saved) setForm((f) => ({ ...f, url: saved.url ?? f.url, username: saved.username ?? f.username }));
  }, [saved]);
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });

  async function runTest() {
    setBusy(true);
    setNotice(null);
    const result = await client.tryCall('settings.testOrthanc', form);
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setTest(result.value);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    const result = await client.tryCall('settings.saveOrthanc', form);
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setValue(result.value);
    setForm({ ...form, password: '' });
    setNotice(result.value.ingest ? t('settingsAdmin.orthanc.savedRestart') : t('settingsAdmin.orthanc.saved'));
  }

  return (
    <section className="card" aria-labelledby="orthanc-settings-title" data-section="orthanc">
      <h2 id="orthanc-settings-title">{t('settingsAdmin.orthanc.title')}</h2>
      <p className="card-lead">{t('settingsAdmin.orthanc.lead')}</p>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {saved?.passwordFromEnvironment && <p className="notice">{t('settingsAdmin.orthanc.environment')}</p>}
      <form className="inline-form" onSubmit={save} noValidate>
        <div className="form-grid">
          <Field label={t('settingsAdmin.orthanc.url')} hint={t('settingsAdmin.orthanc.urlHint')}>
            {(props) => <input {...props} type="url" value={form.url} onChange={set('url')} placeholder="http://127.0.0.1:8042" />}
          </Field>
          <Field label={t('settingsAdmin.orthanc.username')}>{(props) => <input {...props} value={form.username} onChange={set('username')} autoComplete="off" />}</Field>
          <Field label={t('settingsAdmin.orthanc.password')} hint={saved?.passwordSaved ? t('settingsAdmin.orthanc.passwordKept') : undefined}>
            {(props) => <input {...props} type="password" value={form.password} onChange={set('password')} autoComplete="new-password" />}
          </Field>
        </div>
        <div className="form-actions">
          <button type="button" onClick={() => void runTest()} disabled={busy || !form.url}>
            {busy ? t('settingsAdmin.testing') : t('settingsAdmin.orthanc.test')}
          </button>
          <button type="submit" className="primary" disabled={!form.url}>
            {t('settingsAdmin.orthanc.save')}
          </button>
        </div>
      </form>
      {test?.ok === true && (
        <p className="success" role="status" data-result="ok">
          {t('settingsAdmin.orthanc.connected', { name: test.name, version: test.version, aet: test.aet })}
        </p>
      )}
      {test?.ok === false && (
        <div className="error-message" role="alert" data-result={test.problem}>
          <p className="error-title">{t(`settingsAdmin.orthanc.problem.${test.problem}`)}</p>
          <p className="error-details">{test.message}</p>
        </div>
      )}
      {notice && (
        <p className="success" role="status">
          {notice}
        </p>
      )}
      {failure !== null && <ErrorMessage error={failure} />}
    </section>
  );
}

const emptyStore = {
  kind: 's3' as 'file' | 's3' | 'azure',
  folder: '',
  endpoint: '',
  region: 'ca-central-1',
  bucket: '',
  prefix: '',
  accessKeyId: '',
  secretAccessKey: '',
  account: '',
  container: '',
  accountKey: '',
  inCanada: false,
};

function toStoreForm(f: typeof emptyStore): StoreForm {
  if (f.kind === 'file') return { kind: 'file', folder: f.folder };
  if (f.kind === 's3') {
    return { kind: 's3', endpoint: f.endpoint, region: f.region, bucket: f.bucket, prefix: f.prefix, accessKeyId: f.accessKeyId, secretAccessKey: f.secretAccessKey, inCanada: f.inCanada };
  }
  return { kind: 'azure', account: f.account, container: f.container, prefix: f.prefix, region: f.region, endpoint: f.endpoint, accountKey: f.accountKey, inCanada: f.inCanada };
}

function StorageCard() {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const { value: storage, error, reload } = useCall('settings.storage', {});
  const [policy, setPolicy] = useState<{ residency: 'canada' | 'any'; cacheGb: string; nightlyHour: number } | null>(null);
  const [store, setStore] = useState(emptyStore);
  const [test, setTest] = useState<StoreTestResult | null>(null);
  const [migration, setMigration] = useState<MigrationStatus | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!storage) return;
    setPolicy((p) => p ?? { residency: storage.residency, cacheGb: String(storage.cache.maxBytes / 1e9), nightlyHour: storage.nightlyHour });
    setMigration(storage.migration);
  }, [storage]);

  // While a migration runs, its progress is read twice a second; the store is re-read when it ends.
  const running = migration?.state === 'running';
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      void client.tryCall('settings.migration', {}).then((result) => {
        if (!result.ok) return;
        setMigration(result.value);
        if (result.value.state !== 'running') reload();
      });
    }, 500);
    return () => clearInterval(timer);
  }, [running, client, reload]);

  const set = (key: keyof typeof emptyStore) => (event: { target: { value: string } }) => {
    setTest(null);
    setStore({ ...store, [key]: event.target.value });
  };

  async function savePolicy(event: FormEvent) {
    event.preventDefault();
    if (!policy) return;
    const result = await client.tryCall('settings.saveStoragePolicy', { residency: policy.residency, cacheMaxBytes: Math.round(Number(policy.cacheGb) * 1e9), nightlyHour: policy.nightlyHour });
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setNotice(t('settingsAdmin.storage.policySaved'));
    reload();
  }

  async function runTest() {
    setBusy(true);
    setNotice(null);
    const result = await client.tryCall('settings.testStore', toStoreForm(store));
    setBusy(false);
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setTest(result.value);
  }

  async function migrate() {
    if (!window.confirm(t('settingsAdmin.storage.confirmMigrate'))) return;
    const result = await client.tryCall('settings.migrateStore', toStoreForm(store));
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setMigration(result.value);
  }

  async function resume() {
    const result = await client.tryCall('settings.resumeMigration', {});
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setMigration(result.value);
  }

  const language = i18n.language;
  return (
    <section className="card" aria-labelledby="storage-settings-title" data-section="storage">
      <h2 id="storage-settings-title">{t('settingsAdmin.storage.title')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {storage && (
        <dl className="facts" data-store-kind={storage.kind}>
          <dt>{t('settingsAdmin.storage.location')}</dt>
          <dd>
            {t(`settingsAdmin.storage.kind.${storage.kind}`)} — <span className="path">{storage.location}</span>
          </dd>
          <dt>{t('settingsAdmin.storage.region')}</dt>
          <dd>
            {storage.region} ({storage.inCanada ? t('settingsAdmin.storage.inCanada') : t('settingsAdmin.storage.outsideCanada')})
          </dd>
          <dt>{t('settingsAdmin.storage.encryption')}</dt>
          <dd>{storage.encrypted ? t('settingsAdmin.storage.encrypted') : t('settingsAdmin.storage.notEncrypted')}</dd>
          <dt>{t('settingsAdmin.storage.cache')}</dt>
          <dd>{t('settingsAdmin.storage.cacheUse', { used: bytes(storage.cache.usedBytes, language), max: bytes(storage.cache.maxBytes, language) })}</dd>
          <dt>{t('settingsAdmin.storage.outbox')}</dt>
          <dd>{t('settingsAdmin.storage.outboxCount', { n: storage.outbox })}</dd>
          <dt>{t('settingsAdmin.storage.state')}</dt>
          <dd data-state={storage.health.state}>
            {t(`status.state.${storage.health.state}`)}
            {storage.health.message ? ` — ${storage.health.message}` : ''}
          </dd>
        </dl>
      )}

      {policy && (
        <form className="inline-form" onSubmit={savePolicy} noValidate aria-labelledby="storage-policy-title">
          <h3 id="storage-policy-title">{t('settingsAdmin.storage.policyTitle')}</h3>
          <div className="form-grid">
            <Field label={t('settingsAdmin.storage.residency')}>
              {(props) => (
                <select {...props} value={policy.residency} onChange={(e) => setPolicy({ ...policy, residency: e.target.value as 'canada' | 'any' })}>
                  <option value="canada">{t('settingsAdmin.storage.residencyCanada')}</option>
                  <option value="any">{t('settingsAdmin.storage.residencyAny')}</option>
                </select>
              )}
            </Field>
            <Field label={t('settingsAdmin.storage.cacheSize')} hint={t('settingsAdmin.storage.cacheHint')}>
              {(props) => <input {...props} type="number" min={0.25} max={2000} step={0.25} value={policy.cacheGb} onChange={(e) => setPolicy({ ...policy, cacheGb: e.target.value })} />}
            </Field>
            <Field label={t('settingsAdmin.storage.nightlyHour')} hint={t('settingsAdmin.storage.nightlyHint')}>
              {(props) => (
                <select {...props} value={policy.nightlyHour} onChange={(e) => setPolicy({ ...policy, nightlyHour: Number(e.target.value) })}>
                  {Array.from({ length: 24 }, (_, hour) => (
                    <option key={hour} value={hour}>
                      {`${String(hour).padStart(2, '0')}:00`}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <div className="form-actions">
            <button type="submit">{t('settingsAdmin.storage.savePolicy')}</button>
          </div>
        </form>
      )}

      <form className="inline-form" onSubmit={(e) => e.preventDefault()} noValidate aria-labelledby="new-store-title">
        <h3 id="new-store-title">{t('settingsAdmin.storage.newTitle')}</h3>
        <p className="hint">{t('settingsAdmin.storage.newLead')}</p>
        <div className="form-grid">
          <Field label={t('settingsAdmin.storage.kindLabel')}>
            {(props) => (
              <select {...props} value={store.kind} onChange={(e) => setStore({ ...emptyStore, kind: e.target.value as typeof store.kind, region: e.target.value === 'azure' ? 'canadacentral' : 'ca-central-1' })}>
                <option value="file">{t('settingsAdmin.storage.kind.file')}</option>
                <option value="s3">{t('settingsAdmin.storage.kind.s3')}</option>
                <option value="azure">{t('settingsAdmin.storage.kind.azure')}</option>
              </select>
            )}
          </Field>
          {store.kind === 'file' && (
            <Field label={t('settingsAdmin.storage.folder')} hint={t('settingsAdmin.storage.folderHint')}>
              {(props) => <input {...props} value={store.folder} onChange={set('folder')} />}
            </Field>
          )}
          {store.kind === 's3' && (
            <>
              <Field label={t('settingsAdmin.storage.endpoint')} hint={t('settingsAdmin.storage.endpointHint')}>
                {(props) => <input {...props} type="url" value={store.endpoint} onChange={set('endpoint')} />}
              </Field>
              <Field label={t('settingsAdmin.storage.regionLabel')}>{(props) => <input {...props} value={store.region} onChange={set('region')} />}</Field>
              <Field label={t('settingsAdmin.storage.bucket')}>{(props) => <input {...props} value={store.bucket} onChange={set('bucket')} />}</Field>
              <Field label={t('settingsAdmin.storage.prefix')}>{(props) => <input {...props} value={store.prefix} onChange={set('prefix')} />}</Field>
              <Field label={t('settingsAdmin.storage.accessKeyId')}>{(props) => <input {...props} value={store.accessKeyId} onChange={set('accessKeyId')} autoComplete="off" />}</Field>
              <Field label={t('settingsAdmin.storage.secretAccessKey')}>
                {(props) => <input {...props} type="password" value={store.secretAccessKey} onChange={set('secretAccessKey')} autoComplete="new-password" />}
              </Field>
            </>
          )}
          {store.kind === 'azure' && (
            <>
              <Field label={t('settingsAdmin.storage.account')}>{(props) => <input {...props} value={store.account} onChange={set('account')} />}</Field>
              <Field label={t('settingsAdmin.storage.container')}>{(props) => <input {...props} value={store.container} onChange={set('container')} />}</Field>
              <Field label={t('settingsAdmin.storage.prefix')}>{(props) => <input {...props} value={store.prefix} onChange={set('prefix')} />}</Field>
              <Field label={t('settingsAdmin.storage.regionLabel')}>{(props) => <input {...props} value={store.region} onChange={set('region')} />}</Field>
              <Field label={t('settingsAdmin.storage.endpoint')} hint={t('settingsAdmin.storage.endpointHint')}>
                {(props) => <input {...props} type="url" value={store.endpoint} onChange={set('endpoint')} />}
              </Field>
              <Field label={t('settingsAdmin.storage.accountKey')}>
                {(props) => <input {...props} type="password" value={store.accountKey} onChange={set('accountKey')} autoComplete="new-password" />}
              </Field>
            </>
          )}
        </div>
        {store.kind !== 'file' && (
          <label className="checkbox">
            <input type="checkbox" checked={store.inCanada} onChange={(e) => setStore({ ...store, inCanada: e.target.checked })} /> {t('settingsAdmin.storage.declareCanada')}
          </label>
        )}
        <div className="form-actions">
          <button type="button" onClick={() => void runTest()} disabled={busy}>
            {busy ? t('settingsAdmin.testing') : t('settingsAdmin.storage.test')}
          </button>
          <button type="button" className="primary" onClick={() => void migrate()} disabled={running}>
            {t('settingsAdmin.storage.migrate')}
          </button>
        </div>
      </form>
      {test?.ok === true && (
        <p className="success" role="status" data-result="ok">
          {t('settingsAdmin.storage.testOk', { location: test.location })}
          {' '}
          {test.encrypted ? t('settingsAdmin.storage.encrypted') : t('settingsAdmin.storage.notEncrypted')}
        </p>
      )}
      {test?.ok === false && (
        <div className="error-message" role="alert" data-result={test.code}>
          <p className="error-title">{t('settingsAdmin.storage.testFailed')}</p>
          <p className="error-details">{test.message}</p>
        </div>
      )}
      {migration && migration.state !== 'idle' && (
        <div className="migration" data-state={migration.state} aria-live="polite">
          <h3>{t(`settingsAdmin.storage.migration.${migration.state}`, { to: migration.to })}</h3>
          <progress style={{ width: '100%' }} max={Math.max(1, migration.total)} value={migration.done} aria-label={t('settingsAdmin.storage.migration.progressLabel')} />
          <p className="migration-counts">
            {t('settingsAdmin.storage.migration.counts', {
              done: migration.done,
              total: migration.total,
              bytes: bytes(migration.bytes, language),
              failed: migration.failed,
            })}
          </p>
          {migration.errors.length > 0 && (
            <ul className="migration-errors">
              {migration.errors.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          )}
          {(migration.state === 'interrupted' || migration.state === 'failed') && (
            <button type="button" onClick={() => void resume()}>
              {t('settingsAdmin.storage.migration.resume')}
            </button>
          )}
        </div>
      )}
      {notice && (
        <p className="success" role="status">
          {notice}
        </p>
      )}
      {failure !== null && <ErrorMessage error={failure} />}
    </section>
  );
}

function PracticeLanguageCard() {
  const { t } = useTranslation();
  const client = useCusp();
  const { value, error, reload, setValue } = useCall('settings.language', {});
  const [failure, setFailure] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  async function change(language: Language) {
    const result = await client.tryCall('settings.setPracticeLanguage', { language });
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setValue(result.value);
    setSaved(true);
  }

  return (
    // No accessible name on these two cards: the header's language switch stays the only control named "Language" / "Langue".
    <section className="card" data-section="language">
      <h2 id="practice-language-title">{t('settingsAdmin.language.title')}</h2>
      <p className="card-lead">{t('settingsAdmin.language.lead')}</p>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && (
        <Field label={t('settingsAdmin.language.practiceDefault')}>
          {(props) => (
            <select {...props} value={value.practiceDefault} onChange={(e) => void change(e.target.value as Language)}>
              <option value="fr">{t('language.fr')}</option>
              <option value="en">{t('language.en')}</option>
            </select>
          )}
        </Field>
      )}
      {saved && (
        <p className="success" role="status">
          {t('settingsAdmin.language.saved')}
        </p>
      )}
      {failure !== null && <ErrorMessage error={failure} />}
    </section>
  );
}

/** Everyone: the language Cusp opens in for me on any workstation (or the practice's). */
export function MyLanguageCard() {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const { value, error, reload, setValue } = useCall('settings.language', {});
  const [failure, setFailure] = useState<unknown>(null);

  async function change(choice: string) {
    const language = choice === '' ? null : (choice as Language);
    const result = await client.tryCall('settings.setUserLanguage', { language });
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setValue(result.value);
    if (language) storeLanguage(language);
    void i18n.changeLanguage(result.value.effective);
  }

  return (
    <section className="card" data-section="my-language">
      <h2 id="my-language-title">{t('settingsAdmin.myLanguage.title')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && (
        <Field label={t('settingsAdmin.myLanguage.label')}>
          {(props) => (
            <select {...props} value={value.user ?? ''} onChange={(e) => void change(e.target.value)}>
              <option value="">{t('settingsAdmin.myLanguage.followPractice', { language: t(`language.${value.practiceDefault}`) })}</option>
              <option value="fr">{t('language.fr')}</option>
              <option value="en">{t('language.en')}</option>
            </select>
          )}
        </Field>
      )}
      {failure !== null && <ErrorMessage error={failure} />}
    </section>
  );
}

function CompressionCard() {
  const { t } = useTranslation();
  const client = useCusp();
  const { value, error, reload, setValue } = useCall('settings.compression', {});
  const [form, setForm] = useState<Compression | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (value) setForm((f) => f ?? value);
  }, [value]);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!form) return;
    const result = await client.tryCall('settings.setCompression', form);
    if (!result.ok) return setFailure(result.error);
    setFailure(null);
    setValue(result.value);
    setSaved(true);
  }

  const view = form?.view ?? null;
  return (
    <section className="card" aria-labelledby="compression-title" data-section="compression">
      <h2 id="compression-title">{t('settingsAdmin.compression.title')}</h2>
      <p className="card-lead">{t('settingsAdmin.compression.lead')}</p>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {form && (
        <form className="inline-form" onSubmit={save} noValidate>
          <div className="form-grid">
            <Field label={t('settingsAdmin.compression.preset')} hint={t(`settingsAdmin.compression.presets.${form.preset}.hint`)}>
              {(props) => (
                <select {...props} value={form.preset} onChange={(e) => setForm({ ...form, preset: e.target.value as Compression['preset'] })}>
                  {compressionPresetNames.map((name) => (
                    <option key={name} value={name}>
                      {t(`settingsAdmin.compression.presets.${name}.label`)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={view !== null}
              onChange={(e) => setForm({ ...form, view: e.target.checked ? { format: 'jpeg', quality: 90 } : null })}
            />{' '}
            {t('settingsAdmin.compression.adjustView')}
          </label>
          {view && (
            <div className="form-grid">
              <Field label={t('settingsAdmin.compression.format')} hint={view.format === 'avif' ? t('settingsAdmin.compression.avifSlow') : undefined}>
                {(props) => (
                  <select {...props} value={view.format} onChange={(e) => setForm({ ...form, view: { ...view, format: e.target.value as 'jpeg' | 'webp' | 'avif' } })}>
                    <option value="jpeg">JPEG</option>
                    <option value="webp">WebP</option>
                    <option value="avif">{t('settingsAdmin.compression.avif')}</option>
                  </select>
                )}
              </Field>
              <Field label={t('settingsAdmin.compression.quality')} hint={t('settingsAdmin.compression.qualityHint')}>
                {(props) => (
                  <input {...props} type="number" min={60} max={100} step={1} value={view.quality} onChange={(e) => setForm({ ...form, view: { ...view, quality: Number(e.target.value) } })} />
                )}
              </Field>
            </div>
          )}
          <div className="form-actions">
            <button type="submit" className="primary">
              {t('settingsAdmin.compression.save')}
            </button>
          </div>
        </form>
      )}
      {saved && (
        <p className="success" role="status">
          {t('settingsAdmin.compression.saved')}
        </p>
      )}
      {failure !== null && <ErrorMessage error={failure} />}
    </section>
  );
}
