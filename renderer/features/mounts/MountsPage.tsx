import { useCallback, useEffect, useState, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { fdiToUniversal, mountTemplates, type ImageRecord, type Mount, type MountSlotSpec, type MountTemplate } from '../../../contract/index.js';
import { ContractError } from '../../../contract/errors.js';
import { useCall, useCusp, useEvent } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { useCan } from '../auth/AuthProvider.js';
import { formatDate, formatDateTime, imageHref, patientHref } from '../patients/format.js';
import { mountsHref } from './links.js';
import './mounts.css';

const dragType = 'application/x-cusp-image';
const numberingKey = 'cusp.toothNumbering';

/** Today in the workstation's calendar, YYYY-MM-DD (the day a series is taken). */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** What a drag or a keyboard pick carries: an image, and the slot it comes from when it is in the mount. */
interface Picked {
  imageId: string;
  fromSlot: number | null;
}

/**
 * #/patients/<id>/mounts[/<mountId>]: the patient's mounts (newest first), a new one from a
 * template, and the chosen mount's slots laid out as a clinic mounts films, filled by dragging
 * images from the strip (or Enter on an image, then on a slot). Every change goes through
 * `mounts.place` with the version read; a stale one reloads the mount instead of overwriting.
 */
export function MountsPage({ patientId, mountId }: { patientId: string; mountId?: string }) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const canEdit = useCan()('clinical');
  const list = useCall('mounts.forPatient', { patientId });
  const images = useCall('imaging.forPatient', { patientId, limit: 500 });
  const [universal, setUniversal] = useState(() => localStorage.getItem(numberingKey) === 'universal');
  const [picked, setPicked] = useState<Picked | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const mounts = list.value?.mounts ?? [];
  const mount = mounts.find((m) => m.id === mountId) ?? (mountId ? undefined : mounts[0]);
  const byId = new Map((images.value?.images ?? []).map((image) => [image.id, image]));

  // A new exposure may have been filed into this mount by ingest: refresh both.
  useEvent('image.new', (event) => {
    if (event.patientId !== patientId) return;
    images.reload();
    list.reload();
  });

  useEffect(() => {
    localStorage.setItem(numberingKey, universal ? 'universal' : 'fdi');
  }, [universal]);

  const replaceMount = useCallback(
    (next: Mount) => {
      if (!list.value) return;
      list.setValue({ mounts: list.value.mounts.map((m) => (m.id === next.id ? next : m)) });
    },
    [list],
  );

  const place = async (slot: number, imageId: string | null) => {
    if (!mount || busy) return;
    setBusy(true);
    setFailure(null);
    setNotice(null);
    try {
      replaceMount(await client.call('mounts.place', { id: mount.id, version: mount.version, slot, imageId }));
      setNotice(t('mounts.saved'));
    } catch (error) {
      if (error instanceof ContractError && error.code === 'CONFLICT') {
        setNotice(t('mounts.conflict'));
        list.reload();
      } else setFailure(error);
    } finally {
      setBusy(false);
      setPicked(null);
    }
  };

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setFailure(null);
    try {
      const created = await client.call('mounts.create', {
        patientId,
        template: String(form.get('template')) as MountTemplate,
        takenOn: String(form.get('takenOn')),
        appointmentId: String(form.get('appointmentId') ?? '') || null,
      });
      list.setValue({ mounts: [created, ...mounts] });
      window.location.hash = mountsHref(patientId, created.id);
    } catch (error) {
      setFailure(error);
    }
  };

  const teethText = (spec: MountSlotSpec) => spec.teeth.map((tooth) => (universal ? fdiToUniversal(tooth) : String(tooth))).join(' ');
  const slotOf = (imageId: string) => mount?.slots.find((s) => s.imageId === imageId)?.slot ?? null;
  const dateOf = (image: ImageRecord) => (image.acquiredAt ? formatDateTime(image.acquiredAt, i18n.language) : '—');

  const readDrag = (event: DragEvent): Picked | null => {
    const raw = event.dataTransfer.getData(dragType);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Picked;
    } catch {
      return null;
    }
  };
  const startDrag = (event: DragEvent, value: Picked) => {
    event.dataTransfer.setData(dragType, JSON.stringify(value));
    event.dataTransfer.setData('text/plain', value.imageId);
    event.dataTransfer.effectAllowed = 'move';
  };
  const allowDrop = (event: DragEvent) => {
    if (!canEdit || !event.dataTransfer.types.includes(dragType)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') setPicked(null);
  };

  return (
    <div className="mounts-page" onKeyDown={onKeyDown}>
      <p>
        <a href={patientHref(patientId)}>{t('mounts.back')}</a>
      </p>
      <h1 id="page-title" tabIndex={-1}>
        {t('mounts.title')}
      </h1>
      <p className="lead">{t('mounts.lead')}</p>
      {list.error !== null && <ErrorMessage error={list.error} onRetry={list.reload} />}
      {images.error !== null && <ErrorMessage error={images.error} onRetry={images.reload} />}
      {failure !== null && <ErrorMessage error={failure} />}
      <p className="mounts-notice" role="status" aria-live="polite">
        {picked ? t('mounts.picked') : (notice ?? '')}
      </p>

      <div className="mounts-layout">
        <aside className="card mounts-side">
          <h2>{t('mounts.list')}</h2>
          {list.value && mounts.length === 0 && <p className="muted">{t('mounts.none')}</p>}
          <ul className="mounts-list">
            {mounts.map((m) => (
              <li key={m.id}>
                <a href={mountsHref(patientId, m.id)} aria-current={m.id === mount?.id ? 'true' : undefined} aria-label={t('mounts.choose', { date: formatDate(m.takenOn, i18n.language) })}>
                  <strong>{formatDate(m.takenOn, i18n.language)}</strong> · {t(`mounts.templates.${m.template}`)}
                  <span className="muted"> · {m.complete ? t('mounts.complete') : t('mounts.filled', { filled: m.slots.length, total: mountTemplates[m.template].length })}</span>
                </a>
              </li>
            ))}
          </ul>
          {canEdit && <NewMount patientId={patientId} onSubmit={create} />}
          <label className="mounts-numbering">
            <input type="checkbox" checked={universal} onChange={(event) => setUniversal(event.target.checked)} /> {t('mounts.universal')}
          </label>
        </aside>

        <section className="mounts-main" aria-label={t('mounts.grid')}>
          {mount && (
            <>
              <h2>
                {formatDate(mount.takenOn, i18n.language)} · {t(`mounts.templates.${mount.template}`)}
              </h2>
              <div className="mount-orientation" aria-hidden="true">
                <span>{t('mounts.patientRight')}</span>
                <span>{t('mounts.patientLeft')}</span>
              </div>
              <ol className={`mount-grid mount-${mount.template}`} data-mount-id={mount.id} data-version={mount.version}>
                {mountTemplates[mount.template].map((spec) => {
                  const filled = mount.slots.find((s) => s.slot === spec.slot);
                  const image = filled ? byId.get(filled.imageId) : undefined;
                  const label = t('mounts.slot.label', { slot: spec.slot, kind: t(`mounts.slot.${spec.kind}`), teeth: teethText(spec) });
                  const isPicked = picked !== null && picked.fromSlot === spec.slot;
                  return (
                    <li
                      key={spec.slot}
                      className={`mount-slot ${spec.kind}${filled ? ' filled' : ''}${isPicked ? ' picked' : ''}`}
                      style={{ gridColumn: `${spec.column} / span 2`, gridRow: mount.template === 'bw4' ? 1 : spec.row }}
                      data-slot={spec.slot}
                      data-image-id={filled?.imageId ?? ''}
                      onDragOver={allowDrop}
                      onDrop={(event) => {
                        const value = readDrag(event);
                        if (!value) return;
                        event.preventDefault();
                        if (value.fromSlot !== spec.slot) void place(spec.slot, value.imageId);
                      }}
                    >
                      <button
                        type="button"
                        className="mount-slot-face"
                        aria-label={label}
                        aria-pressed={isPicked}
                        disabled={!canEdit && !filled}
                        draggable={canEdit && filled !== undefined}
                        onDragStart={(event) => filled && startDrag(event, { imageId: filled.imageId, fromSlot: spec.slot })}
                        onClick={() => {
                          if (!canEdit) return;
                          if (picked && picked.fromSlot !== spec.slot) void place(spec.slot, picked.imageId);
                          else if (picked) setPicked(null);
                          else if (filled) setPicked({ imageId: filled.imageId, fromSlot: spec.slot });
                        }}
                        onDoubleClick={() => {
                          if (filled) window.location.hash = imageHref(patientId, filled.imageId);
                        }}
                      >
                        {image?.thumb200 ? <img src={image.thumb200} alt="" draggable={false} /> : <span className="mount-slot-empty">{filled ? image?.modality : t('mounts.slot.empty')}</span>}
                        <span className="mount-slot-label">
                          <span className="mount-slot-number">{spec.slot}</span> {teethText(spec)}
                        </span>
                      </button>
                      {filled && (
                        <span className="mount-slot-actions">
                          <a href={imageHref(patientId, filled.imageId)}>{t('mounts.slot.open')}</a>
                          {canEdit && (
                            <button type="button" onClick={() => void place(spec.slot, null)}>
                              {t('mounts.slot.remove')}
                            </button>
                          )}
                        </span>
                      )}
                    </li>
                  );
                })}
              </ol>
            </>
          )}
          {list.value && mountId && !mount && <p role="alert">{t('mounts.none')}</p>}

          <section
            className="card mounts-strip"
            aria-labelledby="mounts-strip-title"
            onDragOver={allowDrop}
            onDrop={(event) => {
              const value = readDrag(event);
              if (!value || value.fromSlot === null) return;
              event.preventDefault();
              void place(value.fromSlot, null);
            }}
          >
            <h2 id="mounts-strip-title">{t('mounts.strip.title')}</h2>
            {canEdit && <p className="muted">{t('mounts.strip.hint')}</p>}
            {images.value && images.value.images.length === 0 && <p className="muted">{t('mounts.strip.empty')}</p>}
            <ul className="mounts-strip-list">
              {(images.value?.images ?? []).map((image) => {
                const inSlot = slotOf(image.id);
                const isPicked = picked?.imageId === image.id && picked.fromSlot === null;
                const alt = t('mounts.strip.imageAlt', { modality: image.modality, date: dateOf(image) });
                return (
                  <li key={image.id} data-image-id={image.id} className={isPicked ? 'picked' : undefined}>
                    <button
                      type="button"
                      draggable={canEdit && mount !== undefined}
                      aria-pressed={isPicked}
                      disabled={!canEdit || !mount}
                      onDragStart={(event) => startDrag(event, { imageId: image.id, fromSlot: inSlot })}
                      onClick={() => setPicked(isPicked ? null : { imageId: image.id, fromSlot: inSlot })}
                      onDoubleClick={() => (window.location.hash = imageHref(patientId, image.id))}
                    >
                      {image.thumb200 ? <img src={image.thumb200} alt={alt} draggable={false} /> : <span className="thumb-missing">{alt}</span>}
                    </button>
                    <span className="thumb-caption">
                      {image.modality} · {dateOf(image)}
                      {inSlot !== null && ` · ${t('mounts.strip.inMount', { slot: inSlot })}`}
                    </span>
                  </li>
                );
              })}
            </ul>
          </section>
        </section>
      </div>
    </div>
  );
}

function NewMount({ patientId, onSubmit }: { patientId: string; onSubmit: (event: FormEvent<HTMLFormElement>) => void }) {
  const { t, i18n } = useTranslation();
  const appointments = useCall('appointments.forPatient', { patientId });
  const recent = [...(appointments.value?.appointments ?? [])].sort((a, b) => b.startsAt.localeCompare(a.startsAt)).slice(0, 20);
  return (
    <form className="mounts-new" onSubmit={onSubmit}>
      <h2>{t('mounts.new')}</h2>
      <label>
        {t('mounts.template')}
        <select name="template" defaultValue="fmx18">
          {(Object.keys(mountTemplates) as MountTemplate[]).map((template) => (
            <option key={template} value={template}>
              {t(`mounts.templates.${template}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('mounts.takenOn')}
        <input type="date" name="takenOn" defaultValue={today()} required />
      </label>
      <label>
        {t('mounts.appointment')}
        <select name="appointmentId" defaultValue="">
          <option value="">{t('mounts.noAppointment')}</option>
          {recent.map((a) => (
            <option key={a.id} value={a.id}>
              {formatDateTime(a.startsAt, i18n.language)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="button primary">
        {t('mounts.create')}
      </button>
    </form>
  );
}
