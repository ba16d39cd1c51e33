import { createHash } from 'node:crypto';
import type { ExperimentUnit, ExperimentVariant } from '../../storage/index.js';

/** What assignment needs of an experiment: what the hash is over and what it picks from. */
export interface AssignableExperiment {
  id: string;
  phase: number;
  salt: string;
  unit: ExperimentUnit;
  variants: readonly ExperimentVariant[];
}

/** Where a request's unit can come from. */
export interface UnitSources {
  /** `x-sluice-user`, else the body's `user`. */
  endUser: string | null;
  /** `x-sluice-session`, else the body's `metadata.session_id`. */
  session: string | null;
  /** The virtual key's id (null for the master key and JWTs, whose label is used instead). */
  keyId: string | null;
  principalLabel: string | null;
}

/**
 * How a request got its variant: by the hash of its unit (sticky), by chance because the unit was
 * missing (or the unit is `request`), or pinned with `x-sluice-variant` (left out of results).
 */
export type AssignmentMode = 'hashed' | 'random' | 'forced';

export interface Assignment {
  variant: ExperimentVariant;
  mode: AssignmentMode;
  /** SHA-256 of the unit value, cut to 16 hex digits; never the raw value. Null without a unit. */
  unitHash: string | null;
}

/** The unit value of a request, or null when the request does not carry one. */
export function unitValueOf(unit: ExperimentUnit, sources: UnitSources): string | null {
  switch (unit) {
    case 'user': return nonEmpty(sources.endUser);
    case 'session': return nonEmpty(sources.session);
    case 'key': return nonEmpty(sources.keyId) ?? nonEmpty(sources.principalLabel);
    case 'request': return null;
  }
}

/**
 * A uniform number in [0, 1) from the first 8 bytes of SHA-256(id, phase, salt, unit): the same
 * unit gets the same number on every instance and after every restart, with nothing stored; a new
 * phase or another salt gives an independent one.
 */
export function bucketOf(experimentId: string, phase: number, salt: string, unitValue: string): number {
  // The separator cannot occur in ids or salts, so ("ab", "c") and ("a", "bc") hash apart.
  const digest = createHash('sha256').update(`${experimentId}\u001f${phase}\u001f${salt}\u001f${unitValue}`).digest();
  return Number(digest.readBigUInt64BE(0) >> 11n) / 2 ** 53;
}

/** The variant whose cumulative weight first passes u × total, in declaration order. */
export function pickByWeight(variants: readonly ExperimentVariant[], u: number): ExperimentVariant {
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  const point = u * total;
  let cumulative = 0;
  for (const variant of variants) {
    cumulative += variant.weight;
    if (point < cumulative) return variant;
  }
  // Only reachable through rounding at u → 1: the last variant with any weight.
  const last = [...variants].reverse().find((variant) => variant.weight > 0) ?? variants[variants.length - 1];
  if (last === undefined) throw new Error('an experiment without variants cannot assign');
  return last;
}

export function hashUnit(unitValue: string): string {
  return createHash('sha256').update(unitValue).digest('hex').slice(0, 16);
}

/**
 * Picks a request's variant. A pinned variant wins when it exists (the caller checked the key may
 * pin); otherwise the unit's hash decides, and a request without a unit gets a per-request draw
 * from `random`, marked as such in the log.
 */
export function assignVariant(experiment: AssignableExperiment, unitValue: string | null, pinned: string | null, random: () => number): Assignment {
  const unitHash = unitValue === null ? null : hashUnit(unitValue);
  if (pinned !== null) {
    const variant = experiment.variants.find((candidate) => candidate.name === pinned);
    if (variant !== undefined) return { variant, mode: 'forced', unitHash };
  }
  if (unitValue === null) return { variant: pickByWeight(experiment.variants, random()), mode: 'random', unitHash: null };
  return { variant: pickByWeight(experiment.variants, bucketOf(experiment.id, experiment.phase, experiment.salt, unitValue)), mode: 'hashed', unitHash };
}

function nonEmpty(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}
