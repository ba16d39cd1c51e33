/** A calendar period in UTC: `2026-11-22` (a day) or `2026-11` (a month), with its bounds in epoch ms. */
export interface UtcPeriod {
  id: string;
  startsAt: number;
  endsAt: number;
}

const DAY_MS = 86_400_000;

export function utcDayOf(now: number): UtcPeriod {
  const date = new Date(now);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return { id: new Date(start).toISOString().slice(0, 10), startsAt: start, endsAt: start + DAY_MS };
}

export function utcMonthOf(now: number): UtcPeriod {
  const date = new Date(now);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  return { id: new Date(start).toISOString().slice(0, 7), startsAt: start, endsAt: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
}

const MINUTE_MS = 60_000;

/** A UTC minute, `2026-11-22T14:05`: the period of an rpm cap's warnings. */
export function utcMinuteOf(now: number): UtcPeriod {
  const start = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  return { id: new Date(start).toISOString().slice(0, 16), startsAt: start, endsAt: start + MINUTE_MS };
}
