import type { Knex } from 'knex';
import type { AuditEntry, AuditQuery } from '../../../contract/index.js';
import { json, nowIso, num } from '../rows.js';

/**
 * The audit log: who did what to which patient or image, when, from which workstation.
 * Append-only — this module only inserts and reads, and the database refuses UPDATE and DELETE.
 */
export interface AuditRecord {
  practiceId: string | null;
  userId: string | null;
  action: string;
  workstation: string;
  patientId?: string | null;
  imageId?: string | null;
  /** Ids and codes only: never names, birth dates, phones or free text. */
  detail?: Record<string, string | number | boolean | null | string[]>;
}

export async function appendAudit(knex: Knex, record: AuditRecord): Promise<void> {
  await knex('audit_log').insert({
    at: nowIso(),
    practice_id: record.practiceId,
    user_id: record.userId,
    action: record.action,
    patient_id: record.patientId ?? null,
    image_id: record.imageId ?? null,
    workstation: record.workstation,
    detail: record.detail ? JSON.stringify(record.detail) : null,
  });
}

export async function queryAudit(knex: Knex, practiceId: string, query: AuditQuery): Promise<AuditEntry[]> {
  const q = knex('audit_log').where('practice_id', practiceId);
  if (query.patientId) q.andWhere('patient_id', query.patientId);
  if (query.userId) q.andWhere('user_id', query.userId);
  if (query.action) q.andWhere('action', query.action);
  if (query.from) q.andWhere('at', '>=', query.from);
  if (query.to) q.andWhere('at', '<', query.to);
  if (query.before) q.andWhere('seq', '<', query.before);
  const rows = await q.orderBy('seq', 'desc').limit(query.limit);
  return rows.map((r) => ({
    seq: num(r.seq),
    at: r.at,
    userId: r.user_id ?? null,
    action: r.action,
    patientId: r.patient_id ?? null,
    imageId: r.image_id ?? null,
    workstation: r.workstation,
    detail: json(r.detail, null),
  }));
}
