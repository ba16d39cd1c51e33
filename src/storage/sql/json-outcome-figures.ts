import { sql } from 'kysely';

/**
 * Sums over the request log's JSON columns, shared by the analytics summary and per-prompt-version
 * stats so both define the rates the same way:
 * - a request counts as JSON-checked when `output_valid` was recorded (services of type json, and
 *   chat completions with response healing); repaired when it was checked and a fix was applied;
 * - a request counts toward re-asks when `reask_count` was recorded (every service run); re-asked
 *   when it was above 0.
 */
export function jsonOutcomeSelections() {
  return [
    sql<number>`sum(CASE WHEN output_valid IS NOT NULL THEN 1 ELSE 0 END)`.as('json_checked'),
    sql<number>`sum(CASE WHEN output_valid = 1 THEN 1 ELSE 0 END)`.as('json_valid'),
    // An empty list of fixes is written as '[]'.
    sql<number>`sum(CASE WHEN output_valid IS NOT NULL AND json_fixes IS NOT NULL AND json_fixes <> '[]' THEN 1 ELSE 0 END)`.as('json_repaired'),
    sql<number>`sum(CASE WHEN reask_count IS NOT NULL THEN 1 ELSE 0 END)`.as('reask_runs'),
    sql<number>`sum(CASE WHEN reask_count > 0 THEN 1 ELSE 0 END)`.as('reasked'),
  ] as const;
}

export interface JsonOutcomeSums {
  json_checked: number | null;
  json_valid: number | null;
  json_repaired: number | null;
  reask_runs: number | null;
  reasked: number | null;
}

export interface JsonOutcomeRates {
  /** Share of JSON-checked requests whose output needed a repair; null when none was checked. */
  jsonRepairRate: number | null;
  /** Share of JSON-checked requests whose final output was valid; null when none was checked. */
  outputValidRate: number | null;
  /** Share of service runs that re-asked at least once; null when there were none. */
  reaskRate: number | null;
}

export function toJsonOutcomeRates(sums: JsonOutcomeSums): JsonOutcomeRates {
  const checked = sums.json_checked ?? 0;
  const runs = sums.reask_runs ?? 0;
  return {
    jsonRepairRate: checked === 0 ? null : (sums.json_repaired ?? 0) / checked,
    outputValidRate: checked === 0 ? null : (sums.json_valid ?? 0) / checked,
    reaskRate: runs === 0 ? null : (sums.reasked ?? 0) / runs,
  };
}
