import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Appointment, ImageRecord, Operatory } from '../../../contract/index.js';
import { useCusp, useEvent } from '../../api/CuspProvider.js';
import { useCan } from '../auth/AuthProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { fullName, imageHref, patientHref } from '../patients/format.js';

const imagesPerPatient = 3;

/**
 * The day's list beside the grid, for pre-appointment review: each visit in time order with the
 * patient's newest radiographs (inline thumbnails, no diagnostic viewer for the front desk). An
 * image filed while the list is open (sensor at the chair, import) appears without a reload.
 */
export function DayList({
  appointments,
  chairs,
  selectedId,
  onSelect,
}: {
  appointments: readonly Appointment[];
  chairs: readonly Operatory[];
  selectedId: string | null;
  onSelect: (id: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const canView = useCan()('imaging.view');
  const canOpen = useCan()('clinical');
  const visits = useMemo(() => [...appointments].filter((a) => a.status !== 'cancelled').sort((a, b) => a.startsAt.localeCompare(b.startsAt)), [appointments]);
  const patientIds = useMemo(() => [...new Set(visits.map((a) => a.patientId))], [visits]);
  const key = patientIds.join(',');
  const [images, setImages] = useState<Map<string, ImageRecord[]>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (!canView || !key) return setImages(new Map());
    let current = true;
    client.call('imaging.latestForPatients', { patientIds: key.split(','), perPatient: imagesPerPatient }).then(
      (result) => {
        if (!current) return;
        const byPatient = new Map<string, ImageRecord[]>();
        for (const image of result.images) byPatient.set(image.patientId, [...(byPatient.get(image.patientId) ?? []), image]);
        setError(null);
        setImages(byPatient);
      },
      (failure: unknown) => current && setError(failure),
    );
    return () => {
      current = false;
    };
  }, [client, key, canView, generation]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  useEvent('image.new', (event) => {
    if (patientIds.includes(event.patientId)) reload();
  });

  const chairName = (id: string) => chairs.find((c) => c.id === id)?.name ?? '';
  const time = (instant: string) => new Date(instant).toLocaleTimeString(i18n.language, { hour: '2-digit', minute: '2-digit' });
  const thumb = (image: ImageRecord) =>
    image.thumb200 ? <img src={image.thumb200} alt={t('schedule.dayList.thumbAlt', { modality: image.modality, date: image.acquiredAt?.slice(0, 10) ?? '' })} /> : <span className="thumb-missing">{image.modality}</span>;

  return (
    <section className="day-list card" aria-labelledby="day-list-title">
      <h2 id="day-list-title">{t('schedule.dayList.title')}</h2>
      {error !== null && <ErrorMessage error={error} onRetry={reload} />}
      {!visits.length && <p className="muted">{t('schedule.dayList.empty')}</p>}
      <ol className="day-list-visits">
        {visits.map((a) => {
          const latest = images.get(a.patientId) ?? [];
          return (
            <li key={a.id} className={`day-list-visit status-${a.status}${a.id === selectedId ? ' selected' : ''}`} data-appointment={a.id}>
              <button type="button" className="link day-list-time" onClick={() => onSelect(a.id)}>
                {time(a.startsAt)} · {chairName(a.operatoryId)}
              </button>
              <a href={patientHref(a.patientId)} className="day-list-patient">
                {fullName(a.patient)}
              </a>
              <span className={`badge status-${a.status}`}>{t(`schedule.status.${a.status}`)}</span>
              {canView && (
                <ul className="thumbs day-list-thumbs" aria-label={t('schedule.dayList.latest')}>
                  {latest.map((image) => (
                    <li key={image.id}>{canOpen ? <a href={imageHref(a.patientId, image.id)}>{thumb(image)}</a> : thumb(image)}</li>
                  ))}
                  {!latest.length && <li className="muted">{t('schedule.dayList.noImages')}</li>}
                </ul>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
