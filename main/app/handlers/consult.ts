import { createHmac, randomBytes } from 'node:crypto';
import type { ConsultContent, ConsultImage, Language } from '../../../contract/index.js';
import type { Auth } from '../../auth/service.js';
import { listAnnotations } from '../../db/repositories/annotations.js';
import { getImage } from '../../db/repositories/imaging.js';
import { getPlan } from '../../db/repositories/treatment.js';
import { drawable } from '../../share/annotations.js';
import type { CallContext } from '../context.js';
import type { Handlers } from '../dispatcher.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type ConsultHandlers = Pick<Handlers, 'consult.show' | 'consult.clear' | 'consult.display'>;

/**
 * Pairing of a chair with its consultation display.
 *
 * A display is keyed by where the call comes from: under `cusp serve` by the browser's session
 * cookie (the /consult page opened in the same browser as the chair shares its `cusp_session`;
 * any other browser, profile or machine has another one), in the desktop app by the
 * workstation (its consultation window belongs to the same process as the chair's window).
 * The content remembers which session pushed it and is dropped as soon as that session is
 * locked or signed out, so a display can only ever show what its own signed-in chair sent.
 *
 * Events carry only an opaque tag per display (an HMAC of its key with a per-run secret), so a
 * display refetches only its own content and no event says what is shown.
 */
export function consultHandlers(services: Services, auth: Pick<Auth, 'sessions'>): ConsultHandlers {
  const secret = randomBytes(32);
  const displays = new Map<string, { pushedBy: string; patientId: string; content: ConsultContent }>();
  const keyOf = (ctx: CallContext) => (ctx.transport === 'ipc' ? `ipc:${ctx.workstation}` : `${ctx.transport}:${ctx.sessionId}`);
  const tagOf = (key: string) => createHmac('sha256', secret).update(key).digest('hex').slice(0, 16);
  const changed = (key: string) => services.events.emit('consult.changed', { display: tagOf(key) });
  const knex = () => services.database().knex;

  // A lock or sign-out anywhere: drop the displays whose chair is no longer signed in.
  services.events.subscribe((name) => {
    if (name !== 'auth.changed') return;
    for (const [key, entry] of displays) {
      const session = auth.sessions.get(entry.pushedBy);
      if (!session || session.locked) {
        displays.delete(key);
        changed(key);
      }
    }
  });

  async function imageOf(practiceId: string, imageId: string, withAnnotations: boolean): Promise<ConsultImage & { patientId: string }> {
    const image = await getImage(knex(), practiceId, imageId);
    const annotations = withAnnotations ? drawable(await listAnnotations(knex(), practiceId, imageId)).slice(0, 200) : [];
    return {
      id: image.id,
      modality: image.modality,
      acquiredAt: image.acquiredAt,
      teeth: image.teeth,
      columns: image.columns,
      rows: image.rows,
      annotations,
      patientId: image.patientId,
    };
  }

  async function languageOf(practiceId: string, patientId: string): Promise<Language> {
    const row = await knex()('patients').where({ id: patientId, practice_id: practiceId }).first('language');
    return row?.language === 'en' ? 'en' : 'fr';
  }

  return {
    'consult.show': async (input, ctx) => {
      const { practiceId } = userOf(ctx);
      let content: ConsultContent;
      let patientId: string;
      if (input.kind === 'plan') {
        const plan = await getPlan(knex(), practiceId, input.planId);
        patientId = plan.patientId;
        const phases = plan.phases.map((phase) => ({
          title: phase.title,
          procedures: phase.procedures
            .filter((p) => p.status !== 'declined')
            .map((p) => ({ code: p.cdtCode, description: p.description, tooth: p.tooth, surfaces: p.surfaces, feeCents: p.feeCents })),
        }));
        const totalCents = phases.reduce((sum, phase) => sum + phase.procedures.reduce((n, p) => n + p.feeCents, 0), 0);
        content = { kind: 'plan', language: await languageOf(practiceId, patientId), plan: { title: plan.title, phases, totalCents } };
      } else {
        const ids = input.kind === 'image' ? [input.imageId] : input.imageIds;
        const images = await Promise.all(ids.map((id) => imageOf(practiceId, id, input.annotations)));
        patientId = images[0]!.patientId;
        if (images.some((image) => image.patientId !== patientId)) throw new AppError('INVALID_INPUT', 'Compare two images of the same patient');
        const shown = images.map(({ patientId: _omit, ...image }) => image);
        const language = await languageOf(practiceId, patientId);
        content = input.kind === 'image' ? { kind: 'image', language, images: [shown[0]!] } : { kind: 'compare', language, images: [shown[0]!, shown[1]!] };
      }
      const key = keyOf(ctx);
      displays.set(key, { pushedBy: ctx.sessionId, patientId, content });
      await audit(services, ctx, 'consult.show', {
        patientId,
        detail: input.kind === 'plan' ? { kind: 'plan', planId: input.planId } : { kind: input.kind, imageIds: content.kind === 'plan' ? [] : content.images.map((i) => i.id) },
      });
      changed(key);
      return { shown: true as const };
    },

    'consult.clear': async (_input, ctx) => {
      const key = keyOf(ctx);
      const entry = displays.get(key);
      if (entry) {
        displays.delete(key);
        await audit(services, ctx, 'consult.clear', { patientId: entry.patientId });
      }
      changed(key);
      return { cleared: true as const };
    },

    'consult.display': async (_input, ctx) => {
      const key = keyOf(ctx);
      const entry = displays.get(key);
      if (entry) {
        const session = auth.sessions.get(entry.pushedBy);
        if (!session || session.locked) displays.delete(key);
      }
      return { display: tagOf(key), content: displays.get(key)?.content ?? null };
    },
  };
}
