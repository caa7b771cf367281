import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput, PatientSummary } from '../../../contract/index.js';
import { useCall, useCusp, useEvent, type CallState } from '../../api/CuspProvider.js';
import { PageHeading } from '../../pages/PlaceholderPage.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { useCan } from '../auth/AuthProvider.js';
import { ImportPanel } from '../import/ImportPanel.js';
import { formatDate, formatDateTime, fullName, patientHref } from '../patients/format.js';
import { AssignDialog } from './AssignDialog.js';
import { dicomDateIso, dicomName, groupInbox, type InboxGroup } from './groups.js';
import './inbox.css';

/** The most the inbox reads at once (the contract's maximum), oldest first. */
const inboxLimit = 500;

/**
 * The imaging inbox (issue #8), clinical roles only: images ingest could not match to a patient,
 * grouped as they arrived (DICOM patient id and name, study date, sending unit), with their
 * thumbnails. Select a group, several groups (merge) or some images of a group (split) and file
 * them under a patient found with the patient search. Below, the quarantine: files that could not
 * be read, with the reason, to retry (clinical) or discard (admin).
 */
export function InboxPage() {
  const { t } = useTranslation();
  const inbox = useCall('ingest.inbox', { limit: inboxLimit });
  const status = useCall('ingest.status', { problems: 200 });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [assigning, setAssigning] = useState<string[] | null>(null);
  const [done, setDone] = useState<{ patient: PatientSummary; count: number } | null>(null);

  const reload = () => {
    inbox.reload();
    status.reload();
  };
  // Counts change when images arrive or a retried job ends: refresh both lists, at most every
  // 1.5 s (each inbox read is an audit entry; an import of 100 files sends many events).
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEvent('ingest.queue', () => {
    pending.current ??= setTimeout(() => {
      pending.current = null;
      reload();
    }, 1500);
  });
  useEffect(() => () => clearTimeout(pending.current ?? undefined), []);

  const items = inbox.value?.items ?? [];
  const groups = groupInbox(items);
  const live = new Set(items.map((item) => item.jobId));
  const selection = [...selected].filter((id) => live.has(id));
  const dicomIdsOf = (jobIds: string[]) => [
    ...new Set(items.filter((item) => jobIds.includes(item.jobId)).map((item) => item.dicomPatientId?.trim() ?? '')),
  ].filter(Boolean);

  const toggle = (jobIds: string[], on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      for (const id of jobIds) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });

  return (
    <>
      <PageHeading title={t('inbox.title')} lead={t('inbox.lead')} />
      <ImportPanel onImported={reload} />
      {done && (
        <p className="notice inbox-done" role="status">
          {t('inbox.assigned', { n: done.count })} <a href={patientHref(done.patient.id)}>{fullName(done.patient)}</a>
        </p>
      )}
      <section className="card" aria-labelledby="inbox-waiting-title">
        <h2 id="inbox-waiting-title">{t('inbox.waiting.title')}</h2>
        {inbox.error !== null && <ErrorMessage error={inbox.error} onRetry={inbox.reload} />}
        {inbox.value && !groups.length && <p className="muted">{t('inbox.waiting.empty')}</p>}
        {items.length >= inboxLimit && <p className="notice">{t('inbox.waiting.more', { n: inboxLimit })}</p>}
        {groups.length > 0 && (
          <div className="inbox-toolbar" role="toolbar" aria-label={t('inbox.selection.label')}>
            <span data-testid="selection-count">{t('inbox.selection.count', { n: selection.length })}</span>
            <button type="button" className="primary" disabled={!selection.length} onClick={() => setAssigning(selection)}>
              {t('inbox.selection.assign')}
            </button>
            <button type="button" disabled={!selection.length} onClick={() => setSelected(new Set())}>
              {t('inbox.selection.clear')}
            </button>
          </div>
        )}
        {groups.map((group, index) => (
          <Group
            key={group.key}
            group={group}
            index={index}
            selected={selected}
            onToggle={toggle}
            onAssign={() => {
              const ids = group.items.map((item) => item.jobId);
              setSelected(new Set(ids));
              setAssigning(ids);
            }}
          />
        ))}
      </section>
      <Quarantine status={status} />
      {assigning && (
        <AssignDialog
          jobIds={assigning}
          dicomPatientIds={dicomIdsOf(assigning)}
          onClose={() => setAssigning(null)}
          onAssigned={(patient, count) => {
            setAssigning(null);
            setSelected(new Set());
            setDone({ patient, count });
            reload();
          }}
        />
      )}
    </>
  );
}

function Group({
  group,
  index,
  selected,
  onToggle,
  onAssign,
}: {
  group: InboxGroup;
  index: number;
  selected: Set<string>;
  onToggle: (jobIds: string[], on: boolean) => void;
  onAssign: () => void;
}) {
  const { t, i18n } = useTranslation();
  const ids = group.items.map((item) => item.jobId);
  const chosen = ids.filter((id) => selected.has(id)).length;
  const name = dicomName(group.dicomPatientName) ?? t('inbox.group.noName');
  const date = (value: string | null) => {
    const iso = dicomDateIso(value);
    return iso ? formatDate(iso, i18n.language) : '—';
  };
  const titleId = `inbox-group-${index}`;
  return (
    <article className="inbox-group" aria-labelledby={titleId} data-dicom-id={group.dicomPatientId ?? ''}>
      <header className="inbox-group-header">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={chosen === ids.length}
            ref={(input) => {
              if (input) input.indeterminate = chosen > 0 && chosen < ids.length;
            }}
            onChange={(event) => onToggle(ids, event.target.checked)}
            aria-label={t('inbox.group.select', { name })}
          />
          <h3 id={titleId}>{name}</h3>
        </label>
        <button type="button" onClick={onAssign}>
          {t('inbox.group.assign', { n: ids.length })}
        </button>
      </header>
      <dl className="facts inbox-facts">
        <dt>{t('inbox.group.dicomId')}</dt>
        <dd>{group.dicomPatientId || '—'}</dd>
        <dt>{t('inbox.group.birthDate')}</dt>
        <dd>{date(group.dicomBirthDate)}</dd>
        <dt>{t('inbox.group.studyDate')}</dt>
        <dd>{date(group.studyDate)}</dd>
        <dt>{t('inbox.group.sentBy')}</dt>
        <dd>{group.sentBy ?? t('inbox.group.imported')}</dd>
        <dt>{t('inbox.group.count')}</dt>
        <dd>{ids.length}</dd>
      </dl>
      <ul className="thumbs">
        {group.items.map((item, n) => (
          <li key={item.jobId} data-job-id={item.jobId}>
            <label className="inbox-thumb">
              <input
                type="checkbox"
                checked={selected.has(item.jobId)}
                onChange={(event) => onToggle([item.jobId], event.target.checked)}
                aria-label={t('inbox.image.select', { n: n + 1, name })}
              />
              {item.thumb200 ? <img src={item.thumb200} alt={t('inbox.image.alt', { modality: item.modality ?? '?' })} /> : <span className="thumb-missing">{item.modality}</span>}
            </label>
            <span className="muted">{formatDateTime(item.receivedAt, i18n.language)}</span>
          </li>
        ))}
      </ul>
    </article>
  );
}

function Quarantine({ status }: { status: CallState<MethodOutput<'ingest.status'>> }) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const can = useCan();
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState<Set<string>>(new Set());
  const problems = status.value?.problems ?? [];

  const act = async (method: 'ingest.retry' | 'ingest.discard', jobId: string) => {
    setError(null);
    setPending((current) => new Set(current).add(jobId));
    try {
      await client.call(method, { jobId });
    } catch (failure) {
      setError(failure);
    } finally {
      setPending((current) => {
        const next = new Set(current);
        next.delete(jobId);
        return next;
      });
      status.reload();
    }
  };

  return (
    <section className="card" aria-labelledby="quarantine-title">
      <h2 id="quarantine-title">{t('inbox.quarantine.title')}</h2>
      <p className="card-lead">{t('inbox.quarantine.lead')}</p>
      {status.error !== null && <ErrorMessage error={status.error} onRetry={status.reload} />}
      {error !== null && <ErrorMessage error={error} />}
      {status.value && !problems.length && <p className="muted">{t('inbox.quarantine.empty')}</p>}
      {problems.length > 0 && (
        <table className="data-table quarantine-table">
          <thead>
            <tr>
              <th scope="col">{t('inbox.quarantine.file')}</th>
              <th scope="col">{t('inbox.quarantine.reason')}</th>
              <th scope="col">{t('inbox.quarantine.when')}</th>
              <th scope="col">{t('inbox.quarantine.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {problems.map((problem) => (
              <tr key={problem.jobId} data-job-id={problem.jobId} data-state={problem.state}>
                <td>{problem.file ?? t('inbox.quarantine.fromOrthanc')}</td>
                <td className="quarantine-reason">
                  {problem.state === 'failed' && <span className="badge">{t('inbox.quarantine.willRetry')}</span>} {problem.reason}
                </td>
                <td>{formatDateTime(problem.updatedAt, i18n.language)}</td>
                <td>
                  {problem.state === 'quarantined' && (
                    <div className="form-actions">
                      <button type="button" disabled={pending.has(problem.jobId)} onClick={() => void act('ingest.retry', problem.jobId)}>
                        {t('inbox.quarantine.retry')}
                      </button>
                      {can('admin') && (
                        <button type="button" className="danger" disabled={pending.has(problem.jobId)} onClick={() => void act('ingest.discard', problem.jobId)}>
                          {t('inbox.quarantine.discard')}
                        </button>
                      )}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
