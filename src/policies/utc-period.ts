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
