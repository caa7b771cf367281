import { lazy, Suspense, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { contractAnnotationStore } from '../../viewer/annotation-store.js';
import { patientHref } from './format.js';
import { CompareWithPrevious } from '../mounts/CompareWithPrevious.js';
import { mprHref } from '../mounts/links.js';

// Cornerstone is large: it loads only when someone opens an image.
const Viewer = lazy(() => import('../../viewer/Viewer.js').then((module) => ({ default: module.Viewer })));

/** #/patients/<id>/images/<imageId>: one of the patient's images in the diagnostic viewer. */
export function PatientImagePage({ patientId, imageId }: { patientId: string; imageId: string }) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const { value, error, reload } = useCall('imaging.forPatient', { patientId, limit: 2000 });
  const image = value?.images.find((candidate) => candidate.id === imageId);
  const annotations = useMemo(() => contractAnnotationStore(client), [client]);

  return (
    <div className="image-page">
      <p>
        <a href={patientHref(patientId)}>{t('patients.image.back')}</a>
        {image && <CompareWithPrevious patientId={patientId} imageId={image.id} />}
        {image?.modality === 'CT' && (
          <a className="button compare-previous" href={mprHref(patientId, image.seriesId)}>
            {t('mounts.mpr.link')}
          </a>
        )}
      </p>
      <h1 id="page-title" tabIndex={-1} className="visually-hidden">
        {t('patients.image.title')}
      </h1>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {value && !image && <p role="alert">{t('patients.image.notFound')}</p>}
      {image && (
        <Suspense fallback={<p aria-busy="true">{t('common.loading')}</p>}>
          <Viewer
            image={image}
            language={i18n.language}
            annotations={annotations}
            onCalibrate={async (mmPerPx) => {
              await client.call('imaging.calibrate', { id: image.id, version: image.version, mmPerPx });
              reload();
            }}
          />
        </Suspense>
      )}
    </div>
  );
}
