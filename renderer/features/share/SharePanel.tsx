import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ImageRecord, ShareSummary, TreatmentPlan } from '../../../contract/index.js';
import { useCall, useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { useCan } from '../auth/AuthProvider.js';
import { LetterheadForm } from './LetterheadForm.js';
import './share.css';

/** Link lifetimes offered to the user; the contract allows 60 s to 7 days. */
export const linkLifetimes = [
  { key: 'hour', seconds: 3600 },
  { key: 'day', seconds: 86_400 },
  { key: 'threeDays', seconds: 3 * 86_400 },
  { key: 'week', seconds: 7 * 86_400 },
] as const;

/**
 * The chart's "Show and share" card (clinical roles): choose radiographs and a plan, then show
 * them on this chair's consultation screen, or make the patient's PDF, download it, give a
 * time-limited link, revoke it.
 */
export function SharePanel({ patientId }: { patientId: string }) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const can = useCan();
  const images = useCall('imaging.forPatient', { patientId, limit: 500 });
  const plans = useCall('treatment.plans', { patientId });
  const shares = useCall('share.list', { patientId });
  const [selected, setSelected] = useState<string[]>([]);
  const [planId, setPlanId] = useState('');
  const [lifetime, setLifetime] = useState<number>(linkLifetimes[1].seconds);
  const [withAnnotations, setWithAnnotations] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const [links, setLinks] = useState<Record<string, string>>({});

  const run = async (what: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setStatus('');
    try {
      setStatus(await what());
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (id: string) => setSelected((current) => (current.includes(id) ? current.filter((x) => x !== id) : [...current, id]));

  const show = () =>
    run(async () => {
      if (selected.length === 1) await client.call('consult.show', { kind: 'image', imageId: selected[0]!, annotations: withAnnotations });
      else await client.call('consult.show', { kind: 'compare', imageIds: [selected[0]!, selected[1]!], annotations: withAnnotations });
      return t('share.status.shown');
    });
  const showPlan = () =>
    run(async () => {
      await client.call('consult.show', { kind: 'plan', planId });
      return t('share.status.shown');
    });
  const clear = () =>
    run(async () => {
      await client.call('consult.clear', {});
      return t('share.status.cleared');
    });
  const createPdf = () =>
    run(async () => {
      await client.call('share.createPdf', { patientId, imageIds: selected, planId: planId || null, annotations: withAnnotations });
      shares.reload();
      return t('share.status.created');
    });
  const createLink = (share: ShareSummary) =>
    run(async () => {
      const link = await client.call('share.createLink', { id: share.id, expiresInSeconds: lifetime });
      setLinks((current) => ({ ...current, [share.id]: new URL(link.path, window.location.href).href }));
      shares.reload();
      return t('share.status.linkCreated');
    });
  const revoke = (share: ShareSummary) =>
    run(async () => {
      if (!window.confirm(t('share.confirmRevoke'))) return '';
      await client.call('share.revoke', { id: share.id });
      setLinks(({ [share.id]: _gone, ...rest }) => rest);
      shares.reload();
      return t('share.status.revoked');
    });

  const imageList: ImageRecord[] = images.value?.images ?? [];
  const planList: TreatmentPlan[] = plans.value?.plans ?? [];
  const inBrowser = typeof window.cusp === 'undefined';

  return (
    <section className="card share-panel" aria-labelledby="share-title">
      <h2 id="share-title">{t('share.title')}</h2>
      <p className="card-lead">{t('share.lead')}</p>
      {images.error !== null && <ErrorMessage error={images.error} onRetry={images.reload} />}
      {imageList.length > 0 && (
        <fieldset className="share-images">
          <legend>{t('share.chooseImages')}</legend>
          <ul>
            {imageList.map((image) => (
              <li key={image.id}>
                <label>
                  <input type="checkbox" checked={selected.includes(image.id)} onChange={() => toggle(image.id)} data-image-id={image.id} />
                  {image.thumb200 ? <img src={image.thumb200} alt="" /> : null}
                  <span>
                    {image.modality}
                    {image.acquiredAt && ` · ${new Date(image.acquiredAt).toLocaleDateString(i18n.language)}`}
                    {image.teeth.length > 0 && ` · ${image.teeth.join(', ')}`}
                  </span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      )}
      {imageList.length > 0 && (
        <label className="share-annotations">
          <input type="checkbox" checked={withAnnotations} onChange={(event) => setWithAnnotations(event.target.checked)} />
          {t('share.withAnnotations')}
        </label>
      )}
      <label className="share-plan">
        {t('share.choosePlan')}
        <select value={planId} onChange={(event) => setPlanId(event.target.value)}>
          <option value="">{t('share.noPlan')}</option>
          {planList.map((plan) => (
            <option key={plan.id} value={plan.id}>
              {plan.title}
            </option>
          ))}
        </select>
      </label>

      <h3>{t('share.consultHeading')}</h3>
      <div className="form-actions">
        <button type="button" className="primary" disabled={busy || selected.length < 1 || selected.length > 2} onClick={() => void show()}>
          {selected.length === 2 ? t('share.showCompare') : t('share.showImage')}
        </button>
        <button type="button" disabled={busy || !planId} onClick={() => void showPlan()}>
          {t('share.showPlan')}
        </button>
        <button type="button" disabled={busy} onClick={() => void clear()}>
          {t('share.clear')}
        </button>
        {inBrowser && (
          <a className="button" href="/consult" target="_blank" rel="noopener">
            {t('share.openConsult')}
          </a>
        )}
      </div>

      <h3>{t('share.pdfHeading')}</h3>
      <div className="form-actions">
        <button type="button" disabled={busy || (selected.length === 0 && !planId) || selected.length > 12} onClick={() => void createPdf()}>
          {t('share.createPdf')}
        </button>
        <label>
          {t('share.lifetime')}
          <select value={lifetime} onChange={(event) => setLifetime(Number(event.target.value))}>
            {linkLifetimes.map((option) => (
              <option key={option.key} value={option.seconds}>
                {t(`share.lifetimes.${option.key}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error !== null && <ErrorMessage error={error} />}
      <p role="status" className="share-status">
        {status}
      </p>
      {shares.error !== null && <ErrorMessage error={shares.error} onRetry={shares.reload} />}
      {shares.value && shares.value.shares.length > 0 && (
        <ul className="share-list">
          {shares.value.shares.map((share) => (
            <li key={share.id} data-share-id={share.id} data-revoked={share.revokedAt ? 'true' : 'false'}>
              <span>
                {new Date(share.createdAt).toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' })}
                {' · '}
                {t('share.summary', { pages: share.pages, images: share.imageIds.length, language: t(`language.${share.language}`) })}
                {share.planId && ` · ${t('share.withPlan')}`}
              </span>
              {share.revokedAt ? (
                <span className="badge">{t('share.revoked')}</span>
              ) : (
                <span className="share-actions">
                  <a href={`/shares/${share.id}.pdf`} target="_blank" rel="noopener" download>
                    {t('share.download')}
                  </a>
                  <button type="button" disabled={busy} onClick={() => void createLink(share)}>
                    {share.linkExpiresAt ? t('share.newLink') : t('share.createLink')}
                  </button>
                  <button type="button" disabled={busy} onClick={() => void revoke(share)}>
                    {t('share.revoke')}
                  </button>
                  {share.linkExpiresAt && (
                    <span className="muted">
                      {Date.parse(share.linkExpiresAt) > Date.now()
                        ? t('share.expiresAt', { at: new Date(share.linkExpiresAt).toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }) })
                        : t('share.expired')}
                    </span>
                  )}
                  {links[share.id] && (
                    <input className="share-link" readOnly value={links[share.id]} aria-label={t('share.linkLabel')} onFocus={(event) => event.target.select()} />
                  )}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <p className="muted share-note">{t('share.reachNote')}</p>
      {can('admin') && <LetterheadForm />}
    </section>
  );
}
