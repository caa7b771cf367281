import { useTranslation } from 'react-i18next';
import type { ConsultContent, ConsultImage, ConsultPlan } from '../../../contract/index.js';
import './consult.css';

/**
 * What the patient sees: one radiograph large, two side by side, or the plan's lines and total,
 * in the patient's language, on a dark neutral background. Pixels come from the audited `/img/`
 * route (the `view` variant), like the chair's viewer.
 */
export function ConsultView({ content }: { content: ConsultContent }) {
  const { i18n } = useTranslation();
  const t = i18n.getFixedT(content.language);
  if (content.kind === 'plan') return <PlanView plan={content.plan} language={content.language} t={t} />;
  return (
    <div className={`consult-images consult-${content.kind}`} lang={content.language} data-kind={content.kind}>
      {content.images.map((image) => (
        <figure key={image.id} className="consult-figure">
          <div className="consult-frame">
            <img src={`/img/${image.id}/view`} alt={t('consult.imageAlt', { kind: t(`consult.modality.${image.modality}`) })} data-image-id={image.id} />
            {image.annotations.length > 0 && <Overlay image={image} />}
          </div>
          <figcaption>{caption(image, content.language, t)}</figcaption>
        </figure>
      ))}
    </div>
  );
}

/**
 * Saved annotations over the image: an SVG in the full-resolution pixel space (a pixel's centre
 * at its integer column/row), fitted like the image (`object-fit: contain` ≙ `xMidYMid meet`).
 */
function Overlay({ image }: { image: ConsultImage }) {
  const stroke = Math.max(image.columns, image.rows) / 400;
  const font = Math.max(image.columns, image.rows) / 40;
  return (
    <svg className="consult-annotations" viewBox={`-0.5 -0.5 ${image.columns} ${image.rows}`} preserveAspectRatio="xMidYMid meet" aria-hidden="true">
      {image.annotations.map((a, i) => {
        const [x, y] = a.points[0]!;
        return (
          <g key={i}>
            {a.ellipse ? (
              <ellipse cx={a.ellipse.cx} cy={a.ellipse.cy} rx={a.ellipse.rx} ry={a.ellipse.ry} strokeWidth={stroke} />
            ) : a.points.length > 1 ? (
              a.closed ? (
                <polygon points={a.points.map((p) => p.join(',')).join(' ')} strokeWidth={stroke} />
              ) : (
                <polyline points={a.points.map((p) => p.join(',')).join(' ')} strokeWidth={stroke} />
              )
            ) : (
              <circle cx={x} cy={y} r={stroke * 2} className="dot" />
            )}
            {a.label && (
              <text x={x + font / 2} y={y - font / 2} fontSize={font} strokeWidth={font / 8}>
                {a.label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

type Fixed = ReturnType<ReturnType<typeof useTranslation>['i18n']['getFixedT']>;

function caption(image: ConsultImage, language: string, t: Fixed): string {
  const parts = [t(`consult.modality.${image.modality}`)];
  if (image.acquiredAt) parts.push(new Date(image.acquiredAt).toLocaleDateString(language, { dateStyle: 'long' }));
  if (image.teeth.length) parts.push(t('consult.teeth', { teeth: image.teeth.join(', ') }));
  return parts.join(' · ');
}

function PlanView({ plan, language, t }: { plan: ConsultPlan; language: 'fr' | 'en'; t: Fixed }) {
  const money = (cents: number) => new Intl.NumberFormat(language === 'fr' ? 'fr-CA' : 'en-CA', { style: 'currency', currency: 'CAD' }).format(cents / 100);
  return (
    <div className="consult-plan" lang={language} data-kind="plan">
      <h1>{t('consult.planTitle')}</h1>
      <p className="consult-plan-name">{plan.title}</p>
      {plan.phases.map((phase, index) => (
        <section key={index}>
          <h2>{phase.title}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('consult.procedure')}</th>
                <th scope="col">{t('consult.tooth')}</th>
                <th scope="col" className="num">
                  {t('consult.fee')}
                </th>
              </tr>
            </thead>
            <tbody>
              {phase.procedures.map((p, i) => (
                <tr key={i}>
                  <td>
                    {p.description ?? p.code} <span className="muted">{p.code}</span>
                  </td>
                  <td>
                    {p.tooth ?? '—'}
                    {p.surfaces ? ` ${p.surfaces}` : ''}
                  </td>
                  <td className="num">{money(p.feeCents)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <p className="consult-total">
        {t('consult.total')} <strong>{money(plan.totalCents)}</strong>
      </p>
    </div>
  );
}
