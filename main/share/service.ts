import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Language, Letterhead, ShareSummary } from '../../contract/index.js';
import type { CallContext, SessionUser } from '../app/context.js';
import { AppError } from '../app/errors.js';
import type { Services } from '../app/services.js';
import { appendAudit } from '../db/repositories/audit.js';
import { getImage, storedObjects } from '../db/repositories/imaging.js';
import { getPlan } from '../db/repositories/treatment.js';
import { json, newId, nowIso, num } from '../db/rows.js';
import { isStorageError } from '../storage/errors.js';
import type { ObjectStore } from '../storage/store.js';
import { listAnnotations } from '../db/repositories/annotations.js';
import { drawable } from './annotations.js';
import { buildSharePdf, type PdfImage } from './pdf.js';

/**
 * PDFs for patients and their time-limited links.
 * - The PDF is written to the image store under `shares/<32 random hex>`: nothing in the key
 *   names the patient or the practice.
 * - A link is `/share/<token>`, 32 random bytes in base64url; only SHA-256(token) is stored, so
 *   the database cannot give a working link back (a new link replaces the old one).
 * - Revoking deletes the PDF from the store and ends the link; expiry is checked on every fetch.
 * - Creation, each download (by staff or through the link), each refused link fetch and each
 *   revocation is in the audit log, with ids only.
 */
export interface ShareService {
  createPdf(ctx: CallContext, input: { patientId: string; imageIds: string[]; planId: string | null; language?: Language; annotations?: boolean }): Promise<ShareSummary>;
  list(ctx: CallContext, patientId: string): Promise<ShareSummary[]>;
  createLink(ctx: CallContext, id: string, expiresInSeconds: number): Promise<{ path: string; expiresAt: string; share: ShareSummary }>;
  revoke(ctx: CallContext, id: string): Promise<ShareSummary>;
  letterhead(practiceId: string): Promise<Letterhead>;
  setLetterhead(ctx: CallContext, letterhead: { address: string | null; phone: string | null }): Promise<Letterhead>;
  /** The `/share/<token>` route: what to answer, after checking expiry and revocation. */
  openLink(token: string, workstation: string): Promise<LinkAnswer>;
  /** Staff download (`/shares/<id>.pdf`), for a clinical user of the share's practice. */
  openForStaff(ctx: CallContext, id: string): Promise<PdfBody | null>;
}

export interface PdfBody {
  body: Readable;
  bytes: number;
}

export type LinkAnswer =
  | { kind: 'unknown' }
  | { kind: 'gone'; reason: 'expired' | 'revoked' }
  | { kind: 'redirect'; url: string }
  | ({ kind: 'pdf' } & PdfBody);

/** The longest a presigned URL handed out by a redirect stays valid (also capped by the link). */
const maxPresignSeconds = 15 * 60;
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function createShareService(services: Services, options: { now?: () => number } = {}): ShareService {
  const now = options.now ?? Date.now;
  const knex = () => services.database().knex;
  const user = (ctx: CallContext): SessionUser => {
    if (!ctx.user) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
    return ctx.user;
  };
  const audit = (ctx: { workstation: string; user: SessionUser | null }, action: string, practiceId: string, patientId: string, detail: Record<string, string | number | boolean | string[]>) =>
    appendAudit(knex(), { practiceId, userId: ctx.user?.id ?? null, workstation: ctx.workstation, action, patientId, detail });

  async function row(practiceId: string, id: string): Promise<ShareRow> {
    const found = await knex()('shares').where({ id, practice_id: practiceId }).first();
    if (!found) throw new AppError('NOT_FOUND', 'This shared document was not found');
    return found as ShareRow;
  }

  async function readView(practiceId: string, imageId: string, withAnnotations: boolean): Promise<PdfImage> {
    const image = await getImage(knex(), practiceId, imageId);
    const storage = services.storage();
    const rows = await storedObjects(knex(), imageId);
    const pick = (variant: string) => rows.filter((r) => r.variant === variant).sort((a) => (a.backend === storage.backend.description.kind ? -1 : 1))[0];
    const object = pick('view') ?? pick('preview');
    if (!object) throw new AppError('NOT_FOUND', 'This image has no viewing copy yet');
    const { body } = await storage.store.get(object.key);
    const annotations = withAnnotations ? drawable(await listAnnotations(knex(), practiceId, imageId)) : undefined;
    return { bytes: await toBuffer(body), modality: image.modality, acquiredAt: image.acquiredAt, teeth: image.teeth, columns: image.columns, rows: image.rows, annotations };
  }

  async function letterhead(practiceId: string): Promise<Letterhead> {
    const found = await knex()('practices').where({ id: practiceId }).first('name', 'address', 'phone');
    if (!found) throw new AppError('NOT_FOUND', 'The practice was not found');
    return { name: found.name, address: found.address ?? null, phone: found.phone ?? null };
  }

  return {
    letterhead,

    async setLetterhead(ctx, { address, phone }) {
      const { practiceId } = user(ctx);
      await knex()('practices').where({ id: practiceId }).update({ address: address || null, phone: phone || null, updated_at: nowIso() });
      await appendAudit(knex(), { practiceId, userId: user(ctx).id, workstation: ctx.workstation, action: 'practice.letterhead' });
      return letterhead(practiceId);
    },

    async createPdf(ctx, input) {
      const { practiceId, id: userId } = user(ctx);
      const patient = await knex()('patients').where({ id: input.patientId, practice_id: practiceId }).first('id', 'given_name', 'family_name', 'language');
      if (!patient) throw new AppError('NOT_FOUND', 'The patient was not found');
      const images: PdfImage[] = [];
      for (const imageId of input.imageIds) {
        const image = await getImage(knex(), practiceId, imageId);
        if (image.patientId !== patient.id) throw new AppError('INVALID_INPUT', 'Every image must be one of this patient’s');
        images.push(await readView(practiceId, imageId, input.annotations ?? false));
      }
      let plan = null;
      if (input.planId) {
        const found = await getPlan(knex(), practiceId, input.planId);
        if (found.patientId !== patient.id) throw new AppError('INVALID_INPUT', 'The plan must be this patient’s');
        plan = {
          title: found.title,
          phases: found.phases.map((phase) => ({
            title: phase.title,
            procedures: phase.procedures
              .filter((p) => p.status !== 'declined')
              .map((p) => ({ code: p.cdtCode, description: p.description, tooth: p.tooth, surfaces: p.surfaces, feeCents: p.feeCents })),
          })),
        };
      }
      const language: Language = input.language ?? (patient.language === 'en' ? 'en' : 'fr');
      const createdAt = new Date(now()).toISOString();
      const pdf = await buildSharePdf({
        language,
        letterhead: await letterhead(practiceId),
        patientName: `${patient.given_name} ${patient.family_name}`,
        date: localDate(new Date(now())),
        images,
        plan,
      });
      const key = `shares/${randomBytes(16).toString('hex')}`;
      const info = await services.storage().store.put(key, pdf.bytes, { contentType: 'application/pdf', ifAbsent: true });
      const id = newId();
      await knex()('shares').insert({
        id,
        practice_id: practiceId,
        patient_id: patient.id,
        created_by: userId,
        language,
        image_ids: JSON.stringify(input.imageIds),
        plan_id: input.planId,
        object_key: key,
        bytes: pdf.bytes.length,
        pages: pdf.pages,
        sha256: info.sha256 ?? createHash('sha256').update(pdf.bytes).digest('hex'),
        created_at: createdAt,
      });
      await audit(ctx, 'share.create', practiceId, patient.id, { shareId: id, imageIds: input.imageIds, planId: input.planId ?? '', language, pages: pdf.pages, annotations: input.annotations ?? false });
      return toSummary(await row(practiceId, id));
    },

    async list(ctx, patientId) {
      const rows = await knex()('shares').where({ practice_id: user(ctx).practiceId, patient_id: patientId }).orderBy('created_at', 'desc').limit(100);
      return (rows as ShareRow[]).map(toSummary);
    },

    async createLink(ctx, id, expiresInSeconds) {
      const { practiceId } = user(ctx);
      const share = await row(practiceId, id);
      if (share.revoked_at) throw new AppError('CONFLICT', 'This document was revoked: make a new one');
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now() + expiresInSeconds * 1000).toISOString();
      await knex()('shares').where({ id }).update({ token_hash: hashToken(token), link_expires_at: expiresAt });
      await audit(ctx, 'share.link.create', practiceId, share.patient_id, { shareId: id, expiresInSeconds, replaced: share.token_hash !== null });
      return { path: `/share/${token}`, expiresAt, share: toSummary(await row(practiceId, id)) };
    },

    async revoke(ctx, id) {
      const { practiceId, id: userId } = user(ctx);
      const share = await row(practiceId, id);
      if (!share.revoked_at) {
        // Ends the link first, then removes the PDF (and with it any presigned URL handed out).
        await knex()('shares').where({ id }).update({ revoked_at: new Date(now()).toISOString(), revoked_by: userId });
        await services.storage().store.delete(share.object_key);
        await audit(ctx, 'share.revoke', practiceId, share.patient_id, { shareId: id });
      }
      return toSummary(await row(practiceId, id));
    },

    async openLink(token, workstation) {
      if (!tokenPattern.test(token)) return { kind: 'unknown' };
      const share = (await knex()('shares').where({ token_hash: hashToken(token) }).first()) as ShareRow | undefined;
      if (!share) return { kind: 'unknown' };
      const who = { workstation, user: null };
      const reason = share.revoked_at ? 'revoked' : !share.link_expires_at || Date.parse(share.link_expires_at) <= now() ? 'expired' : null;
      if (reason) {
        await audit(who, 'share.download.refused', share.practice_id, share.patient_id, { shareId: share.id, reason });
        return { kind: 'gone', reason };
      }
      const remaining = Math.floor((Date.parse(share.link_expires_at!) - now()) / 1000);
      const storage = services.storage();
      // A cloud store that can presign (not an encrypted one: it holds only ciphertext) serves the
      // bytes itself, for no longer than the link has left; otherwise they stream through here.
      if (storage.backend.description.kind !== 'file' && remaining >= 1) {
        const url = await presign(storage.backend, share.object_key, Math.min(remaining, maxPresignSeconds));
        if (url) {
          await audit(who, 'share.download', share.practice_id, share.patient_id, { shareId: share.id, via: 'link', served: 'presigned' });
          return { kind: 'redirect', url };
        }
      }
      const body = await readPdf(share);
      if (!body) return { kind: 'gone', reason: 'revoked' };
      await audit(who, 'share.download', share.practice_id, share.patient_id, { shareId: share.id, via: 'link', served: 'cusp' });
      return { kind: 'pdf', ...body };
    },

    async openForStaff(ctx, id) {
      const { practiceId } = user(ctx);
      const share = (await knex()('shares').where({ id, practice_id: practiceId }).first()) as ShareRow | undefined;
      if (!share || share.revoked_at) return null;
      const body = await readPdf(share);
      if (body) await audit(ctx, 'share.download', practiceId, share.patient_id, { shareId: id, via: 'staff' });
      return body;
    },
  };

  async function readPdf(share: ShareRow): Promise<PdfBody | null> {
    try {
      const { body, info } = await services.storage().store.get(share.object_key);
      return { body, bytes: info.size };
    } catch (error) {
      if (isStorageError(error, 'NotFound')) return null;
      throw error;
    }
  }
}

async function presign(backend: ObjectStore, key: string, seconds: number): Promise<string | null> {
  try {
    await backend.head(key); // still in the outbox: not uploaded yet, stream it instead
    return await backend.signedUrl(key, { expiresInSeconds: seconds });
  } catch (error) {
    if (isStorageError(error, 'NotFound') || isStorageError(error, 'InvalidArgument')) return null;
    throw error;
  }
}

interface ShareRow {
  id: string;
  practice_id: string;
  patient_id: string;
  created_by: string;
  language: Language;
  image_ids: string;
  plan_id: string | null;
  object_key: string;
  bytes: number | string;
  pages: number | string;
  token_hash: string | null;
  link_expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

function toSummary(r: ShareRow): ShareSummary {
  return {
    id: r.id,
    patientId: r.patient_id,
    language: r.language,
    imageIds: json<string[]>(r.image_ids, []),
    planId: r.plan_id,
    pages: num(r.pages),
    bytes: num(r.bytes),
    createdAt: r.created_at,
    createdBy: r.created_by,
    linkExpiresAt: r.link_expires_at,
    revokedAt: r.revoked_at,
  };
}

async function toBuffer(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Today on this computer's calendar, YYYY-MM-DD. */
function localDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
