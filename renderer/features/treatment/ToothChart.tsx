import { useTranslation } from 'react-i18next';
import type { Procedure } from '../../../contract/index.js';
import { statusOrder, toothLabel, type Numbering } from './format.js';

/** Upper arch from the patient's right to left, then lower from right to left, as the dentist faces them. */
const permanent = {
  upper: [18, 17, 16, 15, 14, 13, 12, 11, 21, 22, 23, 24, 25, 26, 27, 28],
  lower: [48, 47, 46, 45, 44, 43, 42, 41, 31, 32, 33, 34, 35, 36, 37, 38],
};
const primary = {
  upper: [55, 54, 53, 52, 51, 61, 62, 63, 64, 65],
  lower: [85, 84, 83, 82, 81, 71, 72, 73, 74, 75],
};

/**
 * The tooth chart: one button per tooth, labelled in the chosen numbering, coloured by the
 * status of its procedures (what is still to do first). Clicking toggles the tooth's selection.
 */
export function ToothChart({
  procedures,
  numbering,
  showPrimary,
  selected,
  onToggle,
}: {
  procedures: readonly Procedure[];
  numbering: Numbering;
  showPrimary: boolean;
  selected: readonly number[];
  onToggle: (tooth: number) => void;
}) {
  const { t } = useTranslation();
  const byTooth = new Map<number, Procedure[]>();
  for (const p of procedures) if (p.tooth !== null) byTooth.set(p.tooth, [...(byTooth.get(p.tooth) ?? []), p]);

  const tooth = (fdi: number) => {
    const own = byTooth.get(fdi) ?? [];
    const status = statusOrder.find((s) => own.some((p) => p.status === s));
    const label = toothLabel(fdi, numbering);
    const described = own.map((p) => `${p.cdtCode} ${t(`treatment.status.${p.status}`)}`).join(', ');
    return (
      <button
        key={fdi}
        type="button"
        className="tooth"
        data-tooth={fdi}
        data-status={status ?? 'none'}
        aria-pressed={selected.includes(fdi)}
        aria-label={described ? t('treatment.chart.toothWith', { number: label, procedures: described }) : t('treatment.chart.tooth', { number: label })}
        title={described || undefined}
        onClick={() => onToggle(fdi)}
      >
        <span className="tooth-number">{label}</span>
        <span className="tooth-dots" aria-hidden="true">
          {own.map((p) => (
            <span key={p.id} className={`dot status-${p.status}`} />
          ))}
        </span>
      </button>
    );
  };
  const row = (teeth: number[], name: string) => (
    <div className={`tooth-row tooth-row-${teeth.length}`} role="group" aria-label={name}>
      {teeth.map(tooth)}
    </div>
  );
  return (
    <div className="tooth-chart" data-numbering={numbering}>
      {row(permanent.upper, t('treatment.chart.upper'))}
      {showPrimary && row(primary.upper, t('treatment.chart.upperPrimary'))}
      {showPrimary && row(primary.lower, t('treatment.chart.lowerPrimary'))}
      {row(permanent.lower, t('treatment.chart.lower'))}
      <ul className="tooth-legend" aria-label={t('treatment.chart.legend')}>
        {statusOrder.map((s) => (
          <li key={s}>
            <span className={`dot status-${s}`} aria-hidden="true" /> {t(`treatment.status.${s}`)}
          </li>
        ))}
      </ul>
    </div>
  );
}
