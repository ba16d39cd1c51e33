import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { ConfigInput, GatewayConfig } from './config-schema.js';
import type { ConfigProblem } from './config-error.js';
import { ConfigError } from './config-error.js';
import { resolveConfig } from './resolve-config.js';
import { substituteEnv } from './substitute-env.js';

export interface LoadConfigOptions {
  /** `--config`; else $SLUICE_CONFIG, else ./sluice.yaml if present, else the embedded default. */
  file?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

export interface LoadedConfig {
  config: GatewayConfig;
  /** The file read, or "embedded default". */
  source: string;
}

export type CheckResult = { source: string; problems: ConfigProblem[]; config: GatewayConfig | null };

/** Loads, substitutes, validates and freezes the config; throws ConfigError listing every problem. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const result = checkConfig(options);
  if (result.config === null) throw new ConfigError(result.problems, result.source);
  return { config: result.config, source: result.source };
}

/** Like loadConfig, but returns every problem instead of throwing. */
export function checkConfig(options: LoadConfigOptions = {}): CheckResult {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = findConfigFile(options.file, env, cwd);
  if (file === null) {
    const resolved = resolveConfig(createEmbeddedDefault(env));
    return resolved.ok
      ? { source: 'embedded default', problems: [], config: resolved.config }
      : { source: 'embedded default', problems: resolved.problems, config: null };
  }
  if (!existsSync(file)) return { source: file, problems: [{ path: '', message: 'file not found' }], config: null };
  // yaml loads only when there is a file to read: the embedded default needs no parser.
  const { parseDocument } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const document = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (document.errors.length > 0) {
    return { source: file, problems: document.errors.map((error) => ({ path: '', message: error.message })), config: null };
  }
  const problems: ConfigProblem[] = [];
  const substituted = substituteEnv(document.toJS(), env, problems);
  const resolved = resolveConfig(substituted);
  if (!resolved.ok) problems.push(...resolved.problems);
  return { source: file, problems, config: resolved.ok && problems.length === 0 ? resolved.config : null };
}

function findConfigFile(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string | null {
  if (explicit !== undefined) return resolve(cwd, explicit);
  const fromEnv = env['SLUICE_CONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(cwd, fromEnv);
  const local = resolve(cwd, 'sluice.yaml');
  return existsSync(local) ? local : null;
}

/**
 * With no config file: development, the offline mock provider, and every vendor whose key is in
 * the environment. SLUICE_MASTER_KEY sets the master key.
 */
export function createEmbeddedDefault(env: Readonly<Record<string, string | undefined>>): ConfigInput {
  const providers: NonNullable<ConfigInput['providers']> = [{ name: 'mock', type: 'mock', models: ['echo', 'lorem'] }];
  const openaiKey = env['OPENAI_API_KEY'];
  if (openaiKey !== undefined && openaiKey !== '') {
    providers.push({ name: 'openai', type: 'openai', api_key: openaiKey, base_url: env['OPENAI_BASE_URL'] || undefined });
  }
  const anthropicKey = env['ANTHROPIC_API_KEY'];
  if (anthropicKey !== undefined && anthropicKey !== '') {
    providers.push({ name: 'anthropic', type: 'anthropic', api_key: anthropicKey, base_url: env['ANTHROPIC_BASE_URL'] || undefined });
  }
  const geminiKey = env['GEMINI_API_KEY'];
  if (geminiKey !== undefined && geminiKey !== '') {
    providers.push({ name: 'gemini', type: 'gemini', api_key: geminiKey });
  }
  const masterKey = env['SLUICE_MASTER_KEY'];
  return {
    environment: 'development',
    auth: masterKey !== undefined && masterKey !== '' ? { master_key: masterKey } : {},
    providers,
  };
}
