import { isStorageError } from './errors.js';
import { allRows, type ObjectIndex, type StoredObjectRow } from './object-index.js';
import type { ObjectStore, Tier } from './store.js';

/**
 * Which tier an object belongs in, from how long ago the patient was last seen (or the image
 * acquired). Defaults: hot under 6 months, warm 6–24 months, cold beyond; masters (large, rarely
 * opened: the viewer shows `view` first) go cold after 12 months. Archive is never chosen by
 * default: reading it back takes hours of rehydration.
 */
export interface TierPolicy {
  warmAfterMonths: number;
  coldAfterMonths: number;
  /** Per variant overrides, e.g. `{ master: { coldAfterMonths: 12 } }`. */
  variants?: Record<string, Partial<Pick<TierPolicy, 'warmAfterMonths' | 'coldAfterMonths'>>>;
}

export const defaultTierPolicy: TierPolicy = {
  warmAfterMonths: 6,
  coldAfterMonths: 24,
  variants: { master: { coldAfterMonths: 12 } },
};

/** Monthly price per GB by tier, in the clinic's currency (editable; defaults ≈ AWS ca-central-1 CAD 2026). */
export type TierPrices = Record<Tier, number>;
export const defaultTierPrices: TierPrices = { hot: 0.034, warm: 0.019, cold: 0.0062, archive: 0.0027 };

export function tierFor(row: Pick<StoredObjectRow, 'variant' | 'lastUsedAt' | 'createdAt'>, now: Date, policy: TierPolicy = defaultTierPolicy): Exclude<Tier, 'archive'> {
  const override = policy.variants?.[row.variant] ?? {};
  const warm = override.warmAfterMonths ?? policy.warmAfterMonths;
  const cold = override.coldAfterMonths ?? policy.coldAfterMonths;
  const since = new Date(row.lastUsedAt ?? row.createdAt);
  const months = monthsBetween(since, now);
  if (months >= cold) return 'cold';
  if (months >= warm) return 'warm';
  return 'hot';
}

/** Whole calendar months from `a` to `b` (a day short of a month counts as less). */
export function monthsBetween(a: Date, b: Date): number {
  let months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  if (b.getUTCDate() < a.getUTCDate()) months--;
  return Math.max(0, months);
}

export interface TierReport {
  /** Bytes and objects per tier after the run (or as planned, for a dry run). */
  bytes: Record<Tier, number>;
  objects: Record<Tier, number>;
  moved: number;
  failed: Array<{ id: string; key: string; code: string }>;
  monthlyCost: Record<Tier, number> & { total: number };
}

/**
 * Applies the policy to every row of `index` on this store: moves objects whose tier should change
 * (at the provider, then in the row), and sums bytes per tier with the monthly cost. A store that
 * cannot offer a tier (the file store has no archive) keeps the object where it is.
 */
export async function applyTiers(options: {
  index: ObjectIndex;
  store: ObjectStore;
  now?: Date;
  policy?: TierPolicy;
  prices?: TierPrices;
  dryRun?: boolean;
  onProgress?: (done: number) => void;
}): Promise<TierReport> {
  const { index, store } = options;
  const now = options.now ?? new Date();
  const zero = () => ({ hot: 0, warm: 0, cold: 0, archive: 0 });
  const report: TierReport = { bytes: zero(), objects: zero(), moved: 0, failed: [], monthlyCost: { ...zero(), total: 0 } };
  let done = 0;
  for await (const row of allRows(index, store.description.kind)) {
    let tier: Tier = row.tier;
    const wanted = tierFor(row, now, options.policy);
    if (wanted !== row.tier && store.description.tiers.includes(wanted)) {
      if (options.dryRun) {
        tier = wanted;
      } else {
        try {
          await store.setTier(row.key, wanted);
          await index.update(row.id, { tier: wanted });
          tier = wanted;
          report.moved++;
        } catch (error) {
          report.failed.push({ id: row.id, key: row.key, code: isStorageError(error) ? error.code : 'Error' });
        }
      }
    }
    report.bytes[tier] += row.bytes;
    report.objects[tier]++;
    options.onProgress?.(++done);
  }
  report.monthlyCost = estimateMonthlyCost(report.bytes, options.prices ?? defaultTierPrices);
  return report;
}

export function estimateMonthlyCost(bytes: Record<Tier, number>, prices: TierPrices): Record<Tier, number> & { total: number } {
  const gb = (n: number) => n / 1e9;
  const cost = {
    hot: gb(bytes.hot) * prices.hot,
    warm: gb(bytes.warm) * prices.warm,
    cold: gb(bytes.cold) * prices.cold,
    archive: gb(bytes.archive) * prices.archive,
  };
  return { ...cost, total: cost.hot + cost.warm + cost.cold + cost.archive };
}
