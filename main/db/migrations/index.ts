import type { Knex } from 'knex';
import * as practice from './20261128153000_practice.js';
import * as ingest from './20261128160000_ingest.js';
import * as appointmentOverlapIndex from './20261128170000_appointment_overlap_index.js';
import * as searchSortKey from './20261128173000_search_sort_key.js';
import * as mounts from './20261128233000_mounts.js';
import * as shares from './20261128233100_shares.js';
import * as practiceSettings from './20261128234500_practice_settings.js';
import * as imageMagnification from './20261129004500_image_magnification.js';

export interface Migration {
  /** `YYYYMMDDHHmmss_what`, the name knex records in `knex_migrations`. */
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
  /** `{ transaction: false }` for SQLite table rebuilds (PRAGMA foreign_keys cannot change inside one). */
  config?: { transaction?: boolean };
}

/**
 * Every migration, oldest first. A static list (no folder scan) so it works from a packaged app.
 * Append new files at the end; never edit or reorder one that has shipped.
 */
export const migrations: readonly Migration[] = [
  { name: '20261128153000_practice', ...practice },
  { name: '20261128160000_ingest', ...ingest },
  { name: '20261128170000_appointment_overlap_index', ...appointmentOverlapIndex },
  { name: '20261128173000_search_sort_key', ...searchSortKey },
  { name: '20261128233000_mounts', ...mounts },
  { name: '20261128233100_shares', ...shares },
  { name: '20261128234500_practice_settings', ...practiceSettings },
  { name: '20261129004500_image_magnification', ...imageMagnification },
];
