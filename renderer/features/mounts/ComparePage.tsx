import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ImageRecord } from '../../../contract/index.js';
import { useCall } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { formatDate, patientHref } from '../patients/format.js';
import { parseCompareQuery } from './links.js';
import './mounts.css';

// Cornerstone is large: it loads only when someone compares images.
const CompareViewports = lazy(() => import('../../viewer/compare/CompareViewports.js').then((module) => ({ default: module.CompareViewports })));

/**
 * #/patients/<id>/compare?images=<id1>,<id2>[,<id3>,<id4>]: 2–4 of the patient's images side by
 * side (oldest first) with zoom, pan and window linked, or two of them before/after with a divider.
 */
export function ComparePage({ patientId, query }: { patientId: string; query: string }) {
  const { t, i18n } = useTranslation();
  const ids = parseCompareQuery(query);
  const { value, error, reload } = useCall('imaging.forPatient', { patientId, limit: 2000 });
  const [linked, setLinked] = useState(true);
  const [mode, setMode] = useState<'side' | 'slider'>('side');
  const [split, setSplit] = useState(50);

  const found = ids.map((id) => value?.images.find((image) => image.id === id)).filter((image): image is ImageRecord => image !== undefined);
  const images = [...found].sort((a, b) => (a.acquiredAt ?? '').localeCompare(b.acquiredAt ?? ''));
  const valid = ids.length >= 2 && ids.length <= 4 && images.length === ids.length;
  const caption = (image: ImageRecord) =>
    t('mounts.compare.caption', { date: image.acquiredAt ? formatDate(image.acquiredAt.slice(0, 10), i18n.language) : t('mounts.compare.undated'), modality: image.modality });

  return (
    <div className="compare-page">
      <p>
        <a href={patientHref(patientId)}>{t('mounts.back')}</a>
      </p>
      <h1 id="page-title" tabIndex={-1}>
        {t('mounts.compare.title')}
      </h1>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && !valid && <p role="alert">{t('mounts.compare.invalid')}</p>}
      {valid && (
        <>
          <div className="compare-toolbar form-actions">
            <label>
              <input type="checkbox" name="linked" checked={linked} onChange={(event) => setLinked(event.target.checked)} /> {t('mounts.compare.linked')}
            </label>
            <fieldset className="compare-modes">
              <legend className="visually-hidden">{t('mounts.compare.modes')}</legend>
              <label>
                <input type="radio" name="mode" value="side" checked={mode === 'side'} onChange={() => setMode('side')} /> {t('mounts.compare.side')}
              </label>
              {images.length === 2 && (
                <label>
                  <input type="radio" name="mode" value="slider" checked={mode === 'slider'} onChange={() => setMode('slider')} /> {t('mounts.compare.slider')}
                </label>
              )}
            </fieldset>
            <span className="muted">{t('mounts.compare.hint')}</span>
          </div>
          <Suspense fallback={<p aria-busy="true">{t('common.loading')}</p>}>
            <CompareViewports
              images={images}
              captions={images.map(caption)}
              mode={mode}
              linked={linked}
              split={split}
              onSplit={setSplit}
              labels={{ divider: t('mounts.compare.divider'), before: t('mounts.compare.before'), after: t('mounts.compare.after') }}
            />
          </Suspense>
          <p className="visually-hidden" aria-live="polite">
            {images.map(caption).join(' / ')}
          </p>
        </>
      )}
    </div>
  );
}
