import type { ConfigProblem } from './config-error.js';
import { formatPath } from './config-error.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML document. A variable
 * that is unset (or empty, for the `:-` form) and has no default is a problem at its path.
 */
export function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblem[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, variable: string, fallback: string | undefined) => {
      const found = env[variable];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), message: `environment variable ${variable} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => substituteEnv(item, env, problems, [...path, index]));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = substituteEnv(item, env, problems, [...path, key]);
    return result;
  }
  return value;
}
