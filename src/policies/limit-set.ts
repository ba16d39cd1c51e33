import type { StoredLimits } from '../storage/index.js';

/** Limits of one subject (a key, a tenant, an end user); every field optional. The same shape a key stores. */
export type LimitSet = StoredLimits;

export const LIMIT_FIELDS = [
  'rpm', 'tpm', 'maxConcurrent', 'requestsPerDay', 'requestsPerMonth', 'tokensPerDay', 'tokensPerMonth',
  'budgetUsd', 'budgetPeriod', 'maxInputTokens', 'maxInputCharacters',
] as const;

/** `override`'s defined fields win over `base`'s. */
export function mergeLimits(base: LimitSet | undefined, override: LimitSet | undefined): LimitSet {
  const merged: LimitSet = { ...base };
  if (override !== undefined) {
    for (const field of LIMIT_FIELDS) {
      const value = override[field];
      if (value !== undefined) Object.assign(merged, { [field]: value });
    }
  }
  return merged;
}

export function hasLimits(limits: LimitSet): boolean {
  return LIMIT_FIELDS.some((field) => limits[field] !== undefined);
}

/** The named presets (`tiers` in the config) in their camelCase form. */
export type TierTable = ReadonlyMap<string, LimitSet>;
