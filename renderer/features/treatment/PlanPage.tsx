import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { procedureCode, type ProcedureCode } from '../../../contract/cdt.js';
import {
  planStatusSchema, procedureStatusSchema, procedureTransitions, removableProcedureStatuses,
  type ImageRecord, type Procedure, type ProcedureStatus, type Totals, type TreatmentPlan,
} from '../../../contract/index.js';
import { useCall, useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage, toCallError } from '../../shell/ErrorMessage.js';
import { useUser } from '../auth/AuthProvider.js';
import { Modal } from '../common/Modal.js';
import { formatDate, fullName, patientHref } from '../patients/format.js';
import { CodePicker } from './CodePicker.js';
import {
  beforeAfter, compareHref, formatMoney, isAnterior, latestOfRegion, parseMoney, planHref, procedureDescription,
  readNumbering, storeNumbering, todayLocal, toothLabel, type Numbering,
} from './format.js';
import { ToothChart } from './ToothChart.js';
import './treatment.css';

type Images = ReadonlyMap<string, ImageRecord>;

/** A patient's treatment plan: tooth chart, phases and procedures with their status, images and checkpoints. */
export function PlanPage({ patientId, planId }: { patientId: string; planId: string }) {
  const { t } = useTranslation();
  const user = useUser();
  const patient = useCall('patients.get', { id: patientId });
  const { value: plan, error, reload, setValue } = useCall('treatment.getPlan', { id: planId });
  const imageCall = useCall('imaging.forPatient', { patientId, limit: 500 });
  const [numbering, setNumbering] = useState<Numbering>(() => readNumbering(user?.id));
  const [showPrimary, setShowPrimary] = useState(false);
  const [selected, setSelected] = useState<number[]>([]);

  if (error !== null) return <ErrorMessage error={error} onRetry={reload} />;
  if (!plan) return <p aria-busy="true">{t('common.loading')}</p>;

  const images = imageCall.value?.images ?? [];
  const imageMap: Images = new Map(images.map((i) => [i.id, i]));
  const procedures = plan.phases.flatMap((ph) => ph.procedures);
  const chooseNumbering = (next: Numbering) => {
    setNumbering(next);
    storeNumbering(user?.id, next);
  };
  const toggle = (tooth: number) => setSelected((current) => (current.includes(tooth) ? current.filter((x) => x !== tooth) : [...current, tooth]));

  return (
    <div className="treatment-plan">
      <p>
        <a href={planHref(patientId)}>{t('treatment.backToPlans')}</a>
        {' · '}
        <a href={patientHref(patientId)}>{t('treatment.backToChart')}</a>
      </p>
      <header className="chart-header">
        <div>
          <h1 id="page-title" tabIndex={-1}>
            {plan.title}
          </h1>
          <p className="lead">
            {patient.value && fullName(patient.value)}
            {' · '}
            <PlanStatus plan={plan} onPlan={setValue} />
          </p>
        </div>
        <TotalsList totals={plan.totals} label={t('treatment.totals.plan')} className="plan-totals" />
      </header>

      <section className="card" aria-labelledby="tooth-chart-title">
        <div className="panel-head">
          <h2 id="tooth-chart-title">{t('treatment.chart.title')}</h2>
          <div className="chart-options">
            <div role="group" aria-label={t('treatment.chart.numbering')} className="segmented">
              {(['fdi', 'universal'] as const).map((n) => (
                <button key={n} type="button" aria-pressed={numbering === n} onClick={() => chooseNumbering(n)}>
                  {t(`treatment.chart.${n}`)}
                </button>
              ))}
            </div>
            <label className="check">
              <input type="checkbox" checked={showPrimary} onChange={(e) => setShowPrimary(e.target.checked)} /> {t('treatment.chart.primary')}
            </label>
          </div>
        </div>
        <ToothChart procedures={procedures} numbering={numbering} showPrimary={showPrimary} selected={selected} onToggle={toggle} />
        <AddProcedure plan={plan} numbering={numbering} selected={selected} onClear={() => setSelected([])} onPlan={setValue} />
      </section>

      {plan.phases.map((phase) => (
        <section key={phase.id} className="card phase" aria-labelledby={`phase-${phase.id}`} data-phase={phase.title}>
          <div className="panel-head">
            <h2 id={`phase-${phase.id}`}>{phase.title}</h2>
            <TotalsList totals={phase.totals} label={t('treatment.totals.phase', { phase: phase.title })} className="phase-totals" />
            {phase.procedures.every((p) => removableProcedureStatuses.includes(p.status)) && <RemovePhase phase={phase} onPlan={setValue} />}
          </div>
          {phase.procedures.length ? (
            <table className="data-table compact procedures">
              <thead>
                <tr>
                  <th scope="col">{t('treatment.procedure.tooth')}</th>
                  <th scope="col">{t('treatment.procedure.code')}</th>
                  <th scope="col">{t('treatment.procedure.description')}</th>
                  <th scope="col">{t('treatment.procedure.surfaces')}</th>
                  <th scope="col">{t('treatment.procedure.fee')}</th>
                  <th scope="col">{t('treatment.procedure.status')}</th>
                  <th scope="col">{t('treatment.procedure.images')}</th>
                </tr>
              </thead>
              <tbody>
                {phase.procedures.map((p) => (
                  <ProcedureRow key={p.id} procedure={p} numbering={numbering} planId={plan.id} images={imageMap} allImages={images} onPlan={setValue} />
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">{t('treatment.phase.empty')}</p>
          )}
        </section>
      ))}
      <AddPhase planId={plan.id} onPlan={setValue} />
      <Checkpoints plan={plan} images={images} imageMap={imageMap} onPlan={setValue} />
      {imageCall.error !== null && <ErrorMessage error={imageCall.error} onRetry={imageCall.reload} />}
    </div>
  );
}

/** The plan's own status (draft → presented → accepted → completed, or cancelled): the clinic's choice, any order. */
function PlanStatus({ plan, onPlan }: { plan: TreatmentPlan; onPlan: (plan: TreatmentPlan) => void }) {
  const { t } = useTranslation();
  const client = useCusp();
  const id = useId();
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function choose(status: TreatmentPlan['status']) {
    setFailure(null);
    setBusy(true);
    try {
      onPlan(await client.call('treatment.updatePlan', { id: plan.id, version: plan.version, status }));
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  }
  return (
    <span className="plan-status">
      <label htmlFor={id}>{t('treatment.planStatusLabel')}</label>{' '}
      <select id={id} value={plan.status} disabled={busy} onChange={(e) => void choose(e.target.value as TreatmentPlan['status'])}>
        {planStatusSchema.options.map((s) => (
          <option key={s} value={s}>
            {t(`treatment.planStatus.${s}`)}
          </option>
        ))}
      </select>
      {failure !== null && <ErrorMessage error={failure} />}
    </span>
  );
}

function TotalsList({ totals, label, className }: { totals: Totals; label: string; className: string }) {
  const { t, i18n } = useTranslation();
  const rows = [
    ['proposed', totals.proposedCents],
    ['accepted', totals.acceptedCents],
    ['completed', totals.completedCents],
  ] as const;
  return (
    <dl className={`totals ${className}`} aria-label={label}>
      {rows.map(([key, cents]) => (
        <div key={key} data-total={key}>
          <dt>{t(`treatment.totals.${key}`)}</dt>
          <dd>{formatMoney(cents, i18n.language)}</dd>
        </div>
      ))}
    </dl>
  );
}

const surfaceChoices = [
  { key: 'M', letter: () => 'M' },
  { key: 'O', letter: () => 'O' },
  { key: 'D', letter: () => 'D' },
  { key: 'B/F', letter: (tooth: number | null) => (tooth !== null && isAnterior(tooth) ? 'F' : 'B') },
  { key: 'L/P', letter: () => 'L' },
  { key: 'I', letter: () => 'I' },
] as const;

/** Pick teeth on the chart, a code by search, the surfaces when the code needs them, and the fee. */
function AddProcedure({
  plan,
  numbering,
  selected,
  onClear,
  onPlan,
}: {
  plan: TreatmentPlan;
  numbering: Numbering;
  selected: readonly number[];
  onClear: () => void;
  onPlan: (plan: TreatmentPlan) => void;
}) {
  const { t } = useTranslation();
  const client = useCusp();
  const ids = useId();
  const [phaseId, setPhaseId] = useState('');
  const [code, setCode] = useState<ProcedureCode | null>(null);
  const [surfaces, setSurfaces] = useState<string[]>([]);
  const [fee, setFee] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const phase = plan.phases.find((ph) => ph.id === phaseId) ?? plan.phases.at(-1);

  if (!phase) return <p className="muted add-procedure">{t('treatment.phase.addFirst')}</p>;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    setFailure(null);
    const feeCents = parseMoney(fee);
    if (!code) return setProblem(t('treatment.add.pickCode'));
    if (feeCents === null) return setProblem(t('treatment.add.badFee'));
    if (code.area === 'tooth' && !selected.length) return setProblem(t('treatment.add.pickTooth'));
    if (code.surfaces && !surfaces.length) return setProblem(t('treatment.add.pickSurfaces'));
    const teeth: (number | null)[] = code.area === 'tooth' ? [...selected] : [null];
    setBusy(true);
    try {
      let latest: TreatmentPlan | null = null;
      for (const tooth of teeth) {
        const letters = code.surfaces ? surfaceChoices.filter((s) => surfaces.includes(s.key)).map((s) => s.letter(tooth)).join('') : null;
        latest = await client.call('treatment.addProcedure', {
          phaseId: phase!.id,
          procedure: { cdtCode: code.code, tooth, surfaces: letters, feeCents },
        });
      }
      if (latest) onPlan(latest);
      setCode(null);
      setSurfaces([]);
      setFee('');
      onClear();
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="inline-form add-procedure" onSubmit={submit} noValidate>
      <h3>{t('treatment.add.title')}</h3>
      <p className="selected-teeth">
        {selected.length
          ? t('treatment.add.teeth', { teeth: selected.map((tooth) => toothLabel(tooth, numbering)).join(', ') })
          : t('treatment.add.noTeeth')}{' '}
        {selected.length > 0 && (
          <button type="button" className="link" onClick={onClear}>
            {t('treatment.add.clear')}
          </button>
        )}
      </p>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${ids}-phase`}>{t('treatment.add.phase')}</label>
          <select id={`${ids}-phase`} value={phase.id} onChange={(e) => setPhaseId(e.target.value)}>
            {plan.phases.map((ph) => (
              <option key={ph.id} value={ph.id}>
                {ph.title}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-code`}>{t('treatment.add.code')}</label>
          <CodePicker id={`${ids}-code`} value={code} onChange={setCode} />
        </div>
        {code?.surfaces && (
          <fieldset className="surfaces">
            <legend>{t('treatment.add.surfaces')}</legend>
            {surfaceChoices.map((s) => (
              <label key={s.key} className="check">
                <input
                  type="checkbox"
                  value={s.key}
                  checked={surfaces.includes(s.key)}
                  onChange={(e) => setSurfaces((current) => (e.target.checked ? [...current, s.key] : current.filter((x) => x !== s.key)))}
                />{' '}
                {s.key}
              </label>
            ))}
          </fieldset>
        )}
        <div className="field">
          <label htmlFor={`${ids}-fee`}>{t('treatment.add.fee')}</label>
          <input id={`${ids}-fee`} inputMode="decimal" value={fee} onChange={(e) => setFee(e.target.value)} placeholder="0.00" />
        </div>
      </div>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {failure !== null && <ErrorMessage error={failure} />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {t('treatment.add.submit')}
        </button>
      </div>
    </form>
  );
}

/** Main's words for a refused transition, said in the UI language. */
function transitionMessage(error: unknown, t: ReturnType<typeof useTranslation>['t']): string | null {
  const { message } = toCallError(error);
  const match = /cannot go from (\w+) to (\w+)/.exec(message);
  const from = procedureStatusSchema.safeParse(match?.[1]);
  const to = procedureStatusSchema.safeParse(match?.[2]);
  if (!from.success || !to.success) return null;
  const next = procedureTransitions[from.data];
  return t('treatment.errors.transition', {
    from: t(`treatment.status.${from.data}`),
    to: t(`treatment.status.${to.data}`),
    allowed: next.length ? next.map((s) => t(`treatment.status.${s}`)).join(', ') : t('treatment.errors.final'),
  });
}

function ProcedureRow({
  procedure: p,
  numbering,
  planId,
  images,
  allImages,
  onPlan,
}: {
  procedure: Procedure;
  numbering: Numbering;
  planId: string;
  images: Images;
  allImages: readonly ImageRecord[];
  onPlan: (plan: TreatmentPlan) => void;
}) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const [failure, setFailure] = useState<unknown>(null);
  const [picking, setPicking] = useState(false);
  const [busy, setBusy] = useState(false);

  async function setStatus(status: ProcedureStatus) {
    setFailure(null);
    setBusy(true);
    try {
      onPlan(await client.call('treatment.updateProcedure', { id: p.id, version: p.version, changes: { status } }));
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  }
  async function remove() {
    if (!window.confirm(t('treatment.procedure.confirmRemove', { code: p.cdtCode }))) return;
    setFailure(null);
    setBusy(true);
    try {
      onPlan(await client.call('treatment.removeProcedure', { id: p.id, version: p.version }));
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  }
  async function link(imageId: string, linked: boolean) {
    setFailure(null);
    try {
      await client.call('imaging.linkProcedure', { imageId, procedureId: p.id, linked });
      // The plan carries the links; read it again.
      onPlan(await client.call('treatment.getPlan', { id: planId }));
    } catch (error) {
      setFailure(error);
    }
  }
  const transition = failure !== null ? transitionMessage(failure, t) : null;
  const statusId = `status-${p.id}`;
  const code = procedureCode(p.cdtCode);

  return (
    <>
      <tr data-procedure={p.id} data-code={p.cdtCode} data-status={p.status} data-tooth={p.tooth ?? ''}>
        <td>{p.tooth !== null ? toothLabel(p.tooth, numbering) : '—'}</td>
        <td>{p.cdtCode}</td>
        <td>{procedureDescription(p, i18n.language) || <span className="muted">{t('treatment.procedure.unknownCode')}</span>}</td>
        <td>{p.surfaces ?? (code?.surfaces ? '?' : '—')}</td>
        <td className="number">{formatMoney(p.feeCents, i18n.language)}</td>
        <td>
          <span className={`badge status-${p.status}`}>{t(`treatment.status.${p.status}`)}</span>
          <label className="visually-hidden" htmlFor={statusId}>
            {t('treatment.procedure.changeStatus')}
          </label>
          <select id={statusId} className="status-select" value={p.status} disabled={busy} onChange={(e) => void setStatus(e.target.value as ProcedureStatus)}>
            {procedureStatusSchema.options.map((s) => (
              <option key={s} value={s}>
                {t(`treatment.status.${s}`)}
              </option>
            ))}
          </select>
          {removableProcedureStatuses.includes(p.status) && (
            <button type="button" className="link remove-procedure" disabled={busy} aria-label={t('treatment.procedure.removeLabel', { code: p.cdtCode })} onClick={() => void remove()}>
              {t('treatment.procedure.remove')}
            </button>
          )}
        </td>
        <td>
          <ul className="thumbs mini">
            {p.imageIds.map((id) => (
              <li key={id} data-image={id}>
                <Thumb image={images.get(id)} />
              </li>
            ))}
          </ul>
          <button type="button" className="link link-images" onClick={() => setPicking(true)}>
            {t('treatment.procedure.linkImages')}
          </button>
        </td>
      </tr>
      {failure !== null && (
        <tr className="row-error">
          <td colSpan={7}>
            {transition ? (
              <p className="form-error transition-error" role="alert">
                {transition}
              </p>
            ) : (
              <ErrorMessage error={failure} />
            )}
          </td>
        </tr>
      )}
      {picking && (
        <Modal title={t('treatment.procedure.linkTitle', { code: p.cdtCode })} onClose={() => setPicking(false)}>
          <ImagePicker images={allImages} chosen={p.imageIds} onToggle={(id, on) => void link(id, on)} />
          <div className="form-actions">
            <button type="button" className="primary" onClick={() => setPicking(false)}>
              {t('common.close')}
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}

function Thumb({ image }: { image: ImageRecord | undefined }) {
  const { t } = useTranslation();
  if (!image) return <span className="thumb-missing">?</span>;
  return image.thumb200 ? (
    <img src={image.thumb200} alt={t('treatment.thumbAlt', { modality: image.modality, teeth: image.teeth.join(', ') || '—' })} />
  ) : (
    <span className="thumb-missing">{image.modality}</span>
  );
}

/** The patient's images as toggle buttons, newest first. */
function ImagePicker({ images, chosen, onToggle }: { images: readonly ImageRecord[]; chosen: readonly string[]; onToggle: (id: string, on: boolean) => void }) {
  const { t, i18n } = useTranslation();
  if (!images.length) return <p className="muted">{t('treatment.noImages')}</p>;
  return (
    <ul className="thumbs image-picker" aria-label={t('treatment.pickImages')}>
      {images.map((image) => {
        const on = chosen.includes(image.id);
        return (
          <li key={image.id}>
            <button type="button" className="thumb-toggle" aria-pressed={on} data-image={image.id} onClick={() => onToggle(image.id, !on)}>
              <Thumb image={image} />
            </button>
            <span className="thumb-caption">
              {image.modality}
              {image.acquiredAt && ` · ${formatDate(image.acquiredAt.slice(0, 10), i18n.language)}`}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** Removes a phase whose procedures could each be removed (the server checks it again). */
function RemovePhase({ phase, onPlan }: { phase: TreatmentPlan['phases'][number]; onPlan: (plan: TreatmentPlan) => void }) {
  const { t } = useTranslation();
  const client = useCusp();
  const [failure, setFailure] = useState<unknown>(null);
  async function remove() {
    if (!window.confirm(t('treatment.phase.confirmRemove', { phase: phase.title }))) return;
    setFailure(null);
    try {
      onPlan(await client.call('treatment.removePhase', { id: phase.id }));
    } catch (error) {
      setFailure(error);
    }
  }
  return (
    <>
      <button type="button" className="link remove-phase" onClick={() => void remove()}>
        {t('treatment.phase.remove')}
      </button>
      {failure !== null && <ErrorMessage error={failure} />}
    </>
  );
}

function AddPhase({ planId, onPlan }: { planId: string; onPlan: (plan: TreatmentPlan) => void }) {
  const { t } = useTranslation();
  const client = useCusp();
  const id = useId();
  const [title, setTitle] = useState('');
  const [failure, setFailure] = useState<unknown>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!title.trim()) return;
    setFailure(null);
    try {
      onPlan(await client.call('treatment.addPhase', { planId, title: title.trim() }));
      setTitle('');
    } catch (error) {
      setFailure(error);
    }
  }
  return (
    <form className="card add-phase" onSubmit={submit}>
      <div className="field">
        <label htmlFor={id}>{t('treatment.phase.new')}</label>
        <input id={id} value={title} onChange={(e) => setTitle(e.target.value)} placeholder={t('treatment.phase.placeholder')} maxLength={200} />
      </div>
      {failure !== null && <ErrorMessage error={failure} />}
      <button type="submit" disabled={!title.trim()}>
        {t('treatment.phase.add')}
      </button>
    </form>
  );
}

/** Progress checkpoints: add one (date, note, images), see them on a timeline, compare before and after. */
function Checkpoints({ plan, images, imageMap, onPlan }: { plan: TreatmentPlan; images: readonly ImageRecord[]; imageMap: Images; onPlan: (plan: TreatmentPlan) => void }) {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const ids = useId();
  const [takenOn, setTakenOn] = useState(todayLocal);
  const [note, setNote] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const timeline = [...plan.checkpoints].sort((a, b) => a.takenOn.localeCompare(b.takenOn));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    setBusy(true);
    try {
      onPlan(await client.call('treatment.addCheckpoint', { planId: plan.id, takenOn, note: note.trim() || null, imageIds: chosen }));
      setNote('');
      setChosen([]);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card checkpoints" aria-labelledby="checkpoints-title">
      <h2 id="checkpoints-title">{t('treatment.checkpoint.title')}</h2>
      {!timeline.length && <p className="muted">{t('treatment.checkpoint.none')}</p>}
      <ol className="checkpoint-timeline">
        {timeline.map((c, index) => {
          const first = c.imageIds.map((id) => imageMap.get(id)).find((i): i is ImageRecord => Boolean(i));
          const previous = timeline
            .slice(0, index)
            .reverse()
            .map((p) => p.imageIds.map((id) => imageMap.get(id)).find((i): i is ImageRecord => Boolean(i)))
            .find((i): i is ImageRecord => Boolean(i));
          const latest = first ? latestOfRegion(first, images) : null;
          const pair = first && latest ? beforeAfter(first, latest) : null;
          return (
            <li key={c.id} className="checkpoint" data-checkpoint={c.id}>
              <h3>{formatDate(c.takenOn, i18n.language)}</h3>
              {c.note && <p className="checkpoint-note">{c.note}</p>}
              <ul className="thumbs mini">
                {c.imageIds.map((id) => (
                  <li key={id} data-image={id}>
                    <Thumb image={imageMap.get(id)} />
                  </li>
                ))}
              </ul>
              <p className="compare-links">
                {first && previous && (
                  <a className="button compare-previous" href={compareHref(plan.patientId, previous.id, first.id)}>
                    {t('treatment.checkpoint.comparePrevious')}
                  </a>
                )}{' '}
                {pair && (
                  <a className="button compare-latest" href={compareHref(plan.patientId, pair[0].id, pair[1].id)}>
                    {t('treatment.checkpoint.compareLatest')}
                  </a>
                )}
              </p>
            </li>
          );
        })}
      </ol>
      <form className="inline-form add-checkpoint" onSubmit={submit}>
        <h3>{t('treatment.checkpoint.add')}</h3>
        <div className="form-grid">
          <div className="field">
            <label htmlFor={`${ids}-date`}>{t('treatment.checkpoint.date')}</label>
            <input id={`${ids}-date`} type="date" value={takenOn} required onChange={(e) => setTakenOn(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-note`}>{t('treatment.checkpoint.note')}</label>
            <textarea id={`${ids}-note`} value={note} maxLength={2000} rows={2} onChange={(e) => setNote(e.target.value)} />
          </div>
        </div>
        <p className="field-label">{t('treatment.checkpoint.images')}</p>
        <ImagePicker images={images} chosen={chosen} onToggle={(id, on) => setChosen((current) => (on ? [...current, id] : current.filter((x) => x !== id)))} />
        {failure !== null && <ErrorMessage error={failure} />}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy || !takenOn}>
            {t('treatment.checkpoint.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}
