const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `24h`, `7d`, `2w`, `500ms` → milliseconds; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim());
  if (match === null) return null;
  const unit = UNITS[match[2] ?? ''];
  return unit === undefined ? null : Math.round(Number(match[1]) * unit);
}

/**
 * A point in time as users write it: a duration ago (`1h`), epoch milliseconds or seconds, or an
 * ISO 8601 date; null when it is none of these.
 */
export function parseTimePoint(text: string, now: number): number | null {
  const ago = parseDuration(text);
  if (ago !== null) return now - ago;
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value < 1e11 ? value * 1000 : value;
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? null : parsed;
}
