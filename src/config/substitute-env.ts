import type { ConfigProblem } from './config-error.js';
import { formatPath } from './config-error.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML document. A variable
 * that is unset or empty and has no default is a problem at its path. A value that is one whole
 * reference takes the type its text spells (`port: ${PORT:-4000}` is a number, `true` a boolean).
 */
export function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblem[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') {
    const replaced = value.replace(REFERENCE, (_match, variable: string, fallback: string | undefined) => {
      const found = env[variable];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), message: `environment variable ${variable} is not set` });
      return '';
    });
    return WHOLE_REFERENCE.test(value) ? typeScalar(replaced) : replaced;
  }
  if (Array.isArray(value)) return value.map((item, index) => substituteEnv(item, env, problems, [...path, index]));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = substituteEnv(item, env, problems, [...path, key]);
    return result;
  }
  return value;
}

function typeScalar(text: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}
