import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadResultSchema, type ImportJob } from '../../../contract/index.js';
import { useCusp, useEvent } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { filesFromDrop, filesFromList, type PickedFile } from './collect.js';
import './import.css';

/** Files sent at once: enough to keep the connection busy, few enough not to swamp the imaging thread. */
const parallelUploads = 2;
const pollMs = 500;

interface Refused {
  name: string;
  message: string;
}

type Phase = 'idle' | 'uploading' | 'processing' | 'confirm' | 'done';

interface Run {
  phase: Phase;
  total: number;
  uploaded: number;
  refused: Refused[];
  jobIds: string[];
  names: Map<string, string>;
  jobs: ImportJob[];
  /** Chart mode: images of this drop filed under the chart's patient from the inbox. */
  filedHere: number;
}

const finished = (job: ImportJob) => job.state === 'done' || job.state === 'quarantined';

/** The jobs as they stand once `images` were filed from the inbox under the chart's patient. */
function markFiled(jobs: ImportJob[], images: Array<{ jobId: string }>): ImportJob[] {
  const filed = new Set(images.map((image) => image.jobId));
  return jobs.map((job) => (filed.has(job.jobId) ? { ...job, outcome: 'assigned' } : job));
}

function uuid(): string {
  return crypto.randomUUID();
}

/**
 * Drag-and-drop import (issue #5), on the imaging inbox and on a patient chart. Files (or a
 * folder) dropped here or picked with the buttons are uploaded one by one to `POST /upload/`
 * (main/server/upload.ts), which hands each to the same import queue as `cusp import`. The bar
 * counts files uploaded, then images processed; the summary says what was imported, what was
 * already known, what was quarantined and what was refused, each with its reason.
 * With `patientId` (the chart), images nobody could match are filed under that patient — at
 * once when they carry no DICOM patient id, after a confirmation when they carry another one.
 */
export function ImportPanel({ patientId, onImported }: { patientId?: string; onImported?: () => void }) {
  const { t } = useTranslation();
  const client = useCusp();
  const [run, setRun] = useState<Run | null>(null);
  const [over, setOver] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const runRef = useRef<Run | null>(null);
  const update = useCallback((change: (current: Run) => Run) => {
    setRun((current) => {
      if (!current) return current;
      const next = change(current);
      runRef.current = next;
      return next;
    });
  }, []);

  // The timer and the queue event both refresh: one look at a time, so strays are filed once.
  const looking = useRef(false);
  const refresh = useCallback(async () => {
    const current = runRef.current;
    if (!current || current.phase !== 'processing' || current.jobIds.length === 0 || looking.current) return;
    looking.current = true;
    try {
      await look(current);
    } finally {
      looking.current = false;
    }
  }, [client, patientId, update, onImported]);

  const look = async (current: Run) => {
    const { jobs } = await client.call('ingest.jobs', { jobIds: current.jobIds });
    const done = jobs.filter(finished).length === current.jobIds.length;
    if (!done) return update((r) => ({ ...r, jobs }));
    const strays = jobs.filter((job) => job.outcome === 'inbox');
    if (patientId && strays.length) {
      const foreign = strays.filter((job) => job.dicomPatientId);
      if (!foreign.length) {
        const { images } = await client.call('ingest.assignMany', { jobIds: strays.map((j) => j.jobId), patientId, rememberDicomId: false });
        update((r) => ({ ...r, jobs: markFiled(jobs, images), filedHere: images.length, phase: 'done' }));
        onImported?.();
        return;
      }
      update((r) => ({ ...r, jobs, phase: 'confirm' }));
      return;
    }
    update((r) => ({ ...r, jobs, phase: 'done' }));
    onImported?.();
  };

  useEffect(() => {
    if (run?.phase !== 'processing') return;
    const timer = setInterval(() => void refresh().catch(setError), pollMs);
    return () => clearInterval(timer);
  }, [run?.phase, refresh]);
  // Queue counts change as images finish: look at once instead of waiting for the next tick.
  useEvent('ingest.queue', () => void refresh().catch(setError));

  const start = async (picked: PickedFile[]) => {
    if (!picked.length || (run && run.phase !== 'done' && run.phase !== 'idle')) return;
    setError(null);
    const batch = uuid();
    const first: Run = { phase: 'uploading', total: picked.length, uploaded: 0, refused: [], jobIds: [], names: new Map(), jobs: [], filedHere: 0 };
    runRef.current = first;
    setRun(first);
    let index = 0;
    const send = async () => {
      while (index < picked.length) {
        const { file, name } = picked[index++]!;
        let outcome: { jobId: string } | Refused;
        try {
          const response = await fetch(`upload/${batch}?name=${encodeURIComponent(name)}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/octet-stream' },
            body: file,
          });
          const parsed = uploadResultSchema.safeParse(await response.json().catch(() => null));
          if (!parsed.success) outcome = { name, message: t('import.refused.failed', { status: response.status }) };
          else if (parsed.data.ok) outcome = { jobId: parsed.data.jobId };
          else outcome = { name, message: t(`import.refused.${parsed.data.error.code}`, { message: parsed.data.error.message }) };
        } catch {
          outcome = { name, message: t('import.refused.network') };
        }
        update((r) => {
          if ('jobId' in outcome) {
            const names = new Map(r.names).set(outcome.jobId, name);
            return { ...r, uploaded: r.uploaded + 1, jobIds: [...r.jobIds, outcome.jobId], names };
          }
          return { ...r, uploaded: r.uploaded + 1, refused: [...r.refused, outcome] };
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelUploads, picked.length) }, send));
    update((r) => ({ ...r, phase: r.jobIds.length ? 'processing' : 'done' }));
    await refresh().catch(setError);
  };

  const confirmAssign = async (file: boolean) => {
    const current = runRef.current;
    if (!current || !patientId) return;
    try {
      let images: Array<{ jobId: string }> = [];
      if (file) {
        const strays = current.jobs.filter((job) => job.outcome === 'inbox').map((job) => job.jobId);
        images = (await client.call('ingest.assignMany', { jobIds: strays, patientId, rememberDicomId: false })).images;
      }
      update((r) => ({ ...r, jobs: markFiled(r.jobs, images), filedHere: images.length, phase: 'done' }));
      onImported?.();
    } catch (failure) {
      setError(failure);
    }
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setOver(false);
    filesFromDrop(event.dataTransfer).then(start, setError);
  };

  const busy = run !== null && (run.phase === 'uploading' || run.phase === 'processing');
  const processed = run ? run.jobs.filter(finished).length : 0;
  const count = (outcome: ImportJob['outcome']) => run?.jobs.filter((job) => job.state === 'done' && job.outcome === outcome).length ?? 0;
  const quarantined = run?.jobs.filter((job) => job.state === 'quarantined') ?? [];
  const strays = run?.jobs.filter((job) => job.outcome === 'inbox') ?? [];
  const foreignIds = [...new Set(strays.map((job) => job.dicomPatientId).filter((id): id is string => Boolean(id)))];

  return (
    <section className="card import-panel" aria-labelledby="import-title" data-phase={run?.phase ?? 'idle'}>
      <h2 id="import-title">{t('import.title')}</h2>
      <div
        className={`drop-zone${over ? ' over' : ''}`}
        data-testid="drop-zone"
        onDragOver={(event) => {
          event.preventDefault();
          event.dataTransfer.dropEffect = 'copy';
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>{patientId ? t('import.dropHereChart') : t('import.dropHere')}</p>
        <div className="form-actions">
          <label className="button">
            {t('import.chooseFiles')}
            <input
              type="file"
              multiple
              className="visually-hidden"
              disabled={busy}
              data-testid="import-files"
              onChange={(event) => {
                const files = filesFromList(event.target.files);
                event.target.value = '';
                void start(files);
              }}
            />
          </label>
          <label className="button">
            {t('import.chooseFolder')}
            <input
              type="file"
              multiple
              className="visually-hidden"
              disabled={busy}
              data-testid="import-folder"
              {...({ webkitdirectory: '' } as Record<string, string>)}
              onChange={(event) => {
                const files = filesFromList(event.target.files);
                event.target.value = '';
                void start(files);
              }}
            />
          </label>
        </div>
      </div>
      {error !== null && <ErrorMessage error={error} />}
      {run && (
        <div className="import-progress" aria-live="polite">
          <progress
            max={run.total * 2}
            value={run.uploaded + processed + run.refused.length}
            aria-label={t('import.progressLabel')}
            data-uploaded={run.uploaded}
            data-processed={processed}
          />
          <p className="import-status">
            {run.phase === 'uploading' && t('import.uploading', { done: run.uploaded, total: run.total })}
            {run.phase === 'processing' && t('import.processing', { done: processed, total: run.jobIds.length })}
            {(run.phase === 'done' || run.phase === 'confirm') && t('import.finished', { total: run.total })}
          </p>
        </div>
      )}
      {run?.phase === 'confirm' && (
        <div className="import-confirm" role="alertdialog" aria-labelledby="import-confirm-title">
          <p id="import-confirm-title">{t('import.confirm.question', { n: strays.length, ids: foreignIds.join(', ') })}</p>
          <div className="form-actions">
            <button type="button" className="primary" onClick={() => void confirmAssign(true)}>
              {t('import.confirm.file')}
            </button>
            <button type="button" onClick={() => void confirmAssign(false)}>
              {t('import.confirm.leave')}
            </button>
          </div>
        </div>
      )}
      {run?.phase === 'done' && (
        <div className="import-summary" role="status">
          <h3>{t('import.summary.title')}</h3>
          <dl className="facts">
            <dt>{t('import.summary.imported')}</dt>
            <dd data-count="imported">{count('indexed') + count('inbox') + count('assigned')}</dd>
            <dt>{t('import.summary.inbox')}</dt>
            <dd data-count="inbox">{count('inbox')}</dd>
            {patientId && (
              <>
                <dt>{t('import.summary.filedHere')}</dt>
                <dd data-count="filed-here">{run.filedHere}</dd>
              </>
            )}
            <dt>{t('import.summary.duplicates')}</dt>
            <dd data-count="duplicates">{count('duplicate')}</dd>
            <dt>{t('import.summary.quarantined')}</dt>
            <dd data-count="quarantined">{quarantined.length}</dd>
            <dt>{t('import.summary.refused')}</dt>
            <dd data-count="refused">{run.refused.length}</dd>
          </dl>
          {(quarantined.length > 0 || run.refused.length > 0) && (
            <ul className="import-problems">
              {quarantined.map((job) => (
                <li key={job.jobId} data-kind="quarantined">
                  <strong>{run.names.get(job.jobId) ?? job.file}</strong>: {job.reason}
                </li>
              ))}
              {run.refused.map((item, i) => (
                <li key={`${item.name}-${i}`} data-kind="refused">
                  <strong>{item.name}</strong>: {item.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
