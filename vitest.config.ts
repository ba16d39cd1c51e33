import { defineConfig } from 'vitest/config';
import { planSuites } from './test/support/external-servers.js';

// Suites that start a real Postgres or Redis are left out, loudly, where those are not installed.
const plan = planSuites(import.meta.dirname, process.env);
if (plan.notice !== null) process.stderr.write(`\n${plan.notice}\n\n`);

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...plan.excluded],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/support/announce-skipped-suites.ts'],
  },
});
