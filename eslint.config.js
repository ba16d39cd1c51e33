// @ts-check
import tseslint from 'typescript-eslint';

/**
 * The folder rules of docs/architecture.md, enforced. Each zone lists the folders it may not
 * reach and why; folders reach each other only through their index.ts.
 */
const APP_FOLDERS = ['config', 'storage', 'http', 'inference', 'routing', 'policies', 'pricing', 'providers', 'observability', 'cli', 'services', 'cache', 'jobs', 'webhooks'];

/** @param {string[]} forbidden @param {string} reason */
function forbid(forbidden, reason) {
  return forbidden.length === 0 ? [] : [{ regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`, message: reason }];
}

const deepImport = {
  regex: '^(\\.\\./)+[a-z-]+/(?!index\\.js$).+',
  message: 'Import another folder through its index.ts, not its internals.',
};

/** @param {string} files @param {string[]} forbidden @param {string} reason @param {string[]} [extraPaths] */
function zone(files, forbidden, reason, extraPaths = []) {
  return {
    files: [files],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...forbid(forbidden, reason), deepImport],
        paths: extraPaths.map((name) => ({ name, message: reason })),
      }],
    },
  };
}

const DRIVERS = ['better-sqlite3', 'pg', 'ioredis', 'kysely'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'web/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  zone('src/core/**/*.ts', APP_FOLDERS.concat(['lib']), 'core/ is the spec: it imports nothing from the app.', ['zod', 'fastify', 'undici', ...DRIVERS]),
  zone('src/lib/**/*.ts', APP_FOLDERS.concat(['core']), 'lib/ knows nothing of gateways: Node built-ins only.', ['fastify', 'undici', ...DRIVERS]),
  zone('src/providers/**/*.ts', APP_FOLDERS.filter((folder) => folder !== 'providers'), 'Providers know only core and lib: never HTTP, config, storage or routing.', ['fastify', ...DRIVERS]),
  zone('src/pricing/**/*.ts', APP_FOLDERS.filter((folder) => folder !== 'pricing'), 'Pricing is one pure price book over core types: it imports no other part of the app.', ['fastify', 'undici', ...DRIVERS]),
  zone('src/routing/**/*.ts', APP_FOLDERS.filter((folder) => folder !== 'routing'), 'Routing composes the Provider values it is given; it imports no adapter.', ['fastify', 'undici', ...DRIVERS]),
  zone('src/policies/**/*.ts', ['http', 'inference', 'routing', 'providers', 'cli', 'config'], 'Policies decide from core types and store interfaces only.', ['fastify', 'undici', ...DRIVERS]),
  zone('src/services/**/*.ts', ['http', 'inference', 'routing', 'providers', 'cli', 'config', 'observability'], 'Services (definitions, JSON extraction and checks) know core, lib and store interfaces; the pipeline that calls models is in inference/.', ['fastify', 'undici', ...DRIVERS]),
  zone('src/inference/**/*.ts', ['http', 'cli', 'config'], 'Use cases know nothing of HTTP or the config file.', ['fastify', ...DRIVERS]),
  zone('src/cache/**/*.ts', ['http', 'inference', 'routing', 'providers', 'cli', 'config', 'policies', 'observability', 'services'], 'The cache works on core types through store interfaces; use cases call it, never the reverse.', ['fastify', 'undici', ...DRIVERS]),
  zone('src/observability/**/*.ts', ['http', 'inference', 'routing', 'providers', 'cli'], 'Observability subscribes to events and store interfaces.', ['fastify', ...DRIVERS]),
  zone('src/config/**/*.ts', ['http', 'inference', 'routing', 'providers', 'cli', 'storage', 'policies', 'observability'], 'Config is resolved once and passed down in slices.', ['fastify', 'undici', ...DRIVERS]),
  zone('src/webhooks/**/*.ts', APP_FOLDERS.filter((folder) => folder !== 'webhooks' && folder !== 'storage'), 'Webhook delivery is generic (jobs and alerts use it): it knows the outbox store interface, lib and core only.', ['fastify', ...DRIVERS]),
  zone('src/jobs/**/*.ts', ['http', 'cli', 'config', 'providers', 'routing', 'inference', 'observability'], 'Jobs run off the request path: JobProvider values from core, store interfaces, policies and webhooks, never HTTP, the config file or a concrete adapter.', ['fastify', ...DRIVERS]),
  zone('src/http/**/*.ts', ['cli', 'storage', 'providers', 'config'], 'HTTP talks to use cases and policies, never to storage or adapters directly.', DRIVERS),
  {
    // Only storage/<backend>/ talks to a database or Redis driver.
    files: ['src/storage/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: DRIVERS.map((name) => ({ name, message: 'Drivers belong in storage/<backend>/.' })) }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.test.ts', '**/*.contract.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
