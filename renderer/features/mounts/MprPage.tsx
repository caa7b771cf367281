import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { patientHref } from '../patients/format.js';
import './mounts.css';

// Cornerstone is large: it loads only when someone opens a volume.
const MprViewports = lazy(() => import('../../viewer/compare/MprViewports.js').then((module) => ({ default: module.MprViewports })));

/** At least this many slices make a volume worth reconstructing. */
const minimumSlices = 3;

/** #/patients/<id>/mpr?series=<seriesId>: a CT / CBCT series of the patient in axial, coronal and sagittal views. */
export function MprPage({ patientId, query }: { patientId: string; query: string }) {
  const { t } = useTranslation();
  const seriesId = new URLSearchParams(query).get('series') ?? '';
  const { value, error, reload } = useCall('imaging.forPatient', { patientId, limit: 2000 });
  const slices = (value?.images ?? []).filter((image) => image.seriesId === seriesId && image.modality === 'CT' && image.variants.includes('master'));

  return (
    <div className="compare-page mpr-page">
      <p>
        <a href={patientHref(patientId)}>{t('mounts.back')}</a>
      </p>
      <h1 id="page-title" tabIndex={-1}>
        {t('mounts.mpr.title')}
      </h1>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && slices.length < minimumSlices && <p role="alert">{t('mounts.mpr.tooFew', { n: minimumSlices })}</p>}
      {slices.length >= minimumSlices && (
        <>
          <p className="muted">{t('mounts.mpr.hint', { n: slices.length })}</p>
          <Suspense fallback={<p aria-busy="true">{t('common.loading')}</p>}>
            <MprViewports
              imageIds={slices.map((image) => image.id)}
              labels={{ axial: t('mounts.mpr.axial'), coronal: t('mounts.mpr.coronal'), sagittal: t('mounts.mpr.sagittal') }}
            />
          </Suspense>
        </>
      )}
    </div>
  );
}
