import type { CapsConfig } from '../config/index.js';
import type { SummaryGroup } from '../storage/index.js';

/** One provider cap against the request log's spend in its current UTC period. */
export interface ProviderCapRow {
  provider: string;
  cap: keyof CapsConfig;
  limit: number;
  /** Tokens, or USD for the usd caps, logged since the period began. */
  used: number;
  /** used / limit. */
  fraction: number;
  /** ISO time of the next reset. */
  resets_at: string;
}

/**
 * Spend against each provider's day and month caps, from the request log: the log prices with the
 * same price book caps settle with, so these figures match the caps' own counters (give or take
 * calls still in flight). rpm caps are a sliding minute and have no row here.
 */
export function providerCapRows(
  providers: ReadonlyArray<{ name: string; limits?: CapsConfig | undefined }>,
  today: readonly SummaryGroup[],
  thisMonth: readonly SummaryGroup[],
  now: number,
): ProviderCapRow[] {
  const date = new Date(now);
  const nextDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)).toISOString();
  const nextMonth = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)).toISOString();
  const rows: ProviderCapRow[] = [];
  for (const provider of providers) {
    const limits = provider.limits;
    if (limits === undefined) continue;
    const day = today.find((group) => group.group === provider.name);
    const month = thisMonth.find((group) => group.group === provider.name);
    const add = (cap: keyof CapsConfig, limit: number | undefined, used: number, resetsAt: string) => {
      if (limit !== undefined) rows.push({ provider: provider.name, cap, limit, used, fraction: used / limit, resets_at: resetsAt });
    };
    add('tokens_per_day', limits.tokens_per_day, day?.totalTokens ?? 0, nextDay);
    add('tokens_per_month', limits.tokens_per_month, month?.totalTokens ?? 0, nextMonth);
    add('usd_per_day', limits.usd_per_day, day?.costUsd ?? 0, nextDay);
    add('usd_per_month', limits.usd_per_month, month?.costUsd ?? 0, nextMonth);
  }
  return rows;
}
