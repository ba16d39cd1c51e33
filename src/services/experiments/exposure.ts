import type { AssignmentMode } from './assign-variant.js';

/**
 * One request's exposure to an experiment, as logged at assignment (intent to treat: a request
 * whose variant failed, or fell back to another target, is still that variant's).
 */
export interface Exposure {
  experiment: string;
  phase: number;
  variant: string;
  unitHash: string | null;
  mode: AssignmentMode;
}

const MODE_CODES: Record<AssignmentMode, string> = { hashed: 'a', random: 'r', forced: 'f' };

/**
 * The request log's `experiment_variant` column holds the whole exposure as
 * `experiment:phase:variant:unit_hash:mode` (mode a = assigned by hash, r = random because the unit
 * was missing, f = forced by a pin; `-` for no unit hash). One column the log already has, instead
 * of five new ones; names cannot contain `:`, and results read a phase by its prefix.
 */
export function encodeExposure(exposure: Exposure): string {
  return `${exposure.experiment}:${exposure.phase}:${exposure.variant}:${exposure.unitHash ?? '-'}:${MODE_CODES[exposure.mode]}`;
}

/** The prefix of every exposure of one phase of an experiment. */
export function exposurePrefix(experiment: string, phase: number): string {
  return `${experiment}:${phase}:`;
}

export function decodeExposure(value: string): Exposure | null {
  const parts = value.split(':');
  if (parts.length !== 5) return null;
  const [experiment, phaseText, variant, unitHash, code] = parts;
  const phase = Number(phaseText);
  const mode = code === 'a' ? 'hashed' : code === 'r' ? 'random' : code === 'f' ? 'forced' : null;
  if (experiment === undefined || variant === undefined || unitHash === undefined || mode === null || !Number.isInteger(phase)) return null;
  return { experiment, phase, variant, unitHash: unitHash === '-' ? null : unitHash, mode };
}
