import { z } from 'zod';

/** Shared field schemas of the practice data. */
export const idSchema = z.uuid();
/** An instant: ISO-8601 in UTC with milliseconds, e.g. 2026-11-28T14:30:00.000Z (what Date#toISOString gives). */
export const instantSchema = z.iso.datetime({ precision: 3 }).refine((s) => s.endsWith('Z'), 'must be UTC (end with Z)');
/** A calendar date YYYY-MM-DD. */
export const dateSchema = z.iso.date();
/** Optimistic concurrency: the version the caller last read; a stale one gets CONFLICT. */
export const versionSchema = z.number().int().positive();
