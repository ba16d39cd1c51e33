import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findPostgresBinaries } from './postgres-server.js';

/**
 * The servers some suites start for real, found by what the suite calls. On a machine without
 * one, `npm test` leaves those suites out and says so; with SLUICE_REQUIRE_ALL_SUITES=1 (CI) a
 * missing server fails the run instead. SLUICE_TEST_WITHOUT=postgres,redis-server pretends they
 * are missing (to see that path on a machine that has them).
 */
export const INSTALL_COMMAND = 'apt-get install -y postgresql redis-server chromium';

interface ExternalServer {
  name: string;
  /** What a suite calls when it needs this server. */
  marker: string;
  installed: () => boolean;
}

const SERVERS: ExternalServer[] = [
  { name: 'postgres', marker: 'startPostgresServer(', installed: () => findPostgresBinaries() !== null },
  { name: 'redis-server', marker: 'startRedisServer(', installed: () => spawnSync('sh', ['-c', 'command -v redis-server']).status === 0 },
  // The dashboard suite drives Debian's browser (CHROMIUM overrides where it is).
  { name: 'chromium', marker: 'chromium.launch(', installed: () => existsSync(process.env['CHROMIUM'] ?? '/usr/bin/chromium') },
];

export interface SuitePlan {
  /** Suite files to leave out (relative to the root). */
  excluded: string[];
  /** One plain paragraph for the console, or null when nothing is left out. */
  notice: string | null;
}

export function planSuites(root: string, env: Readonly<Record<string, string | undefined>>): SuitePlan {
  const pretendMissing = new Set((env['SLUICE_TEST_WITHOUT'] ?? '').split(',').map((name) => name.trim()).filter(Boolean));
  const missing = SERVERS.filter((server) => pretendMissing.has(server.name) || !server.installed());
  if (missing.length === 0) return { excluded: [], notice: null };
  const suites = findSuites(root);
  const excluded = new Set<string>();
  const lines: string[] = [];
  for (const server of missing) {
    const needing = suites.filter((suite) => suite.text.includes(server.marker)).map((suite) => suite.path);
    for (const path of needing) excluded.add(path);
    lines.push(`  ${server.name} is not installed; skipped: ${needing.join(', ') || '(none)'}`);
  }
  const notice = [
    'Some suites need servers this machine lacks and were SKIPPED:',
    ...lines,
    `  Install what they need: ${INSTALL_COMMAND}`,
  ].join('\n');
  if (env['SLUICE_REQUIRE_ALL_SUITES'] === '1') throw new Error(`SLUICE_REQUIRE_ALL_SUITES=1 and ${notice}`);
  return { excluded: [...excluded], notice };
}

function findSuites(root: string): Array<{ path: string; text: string }> {
  const suites: Array<{ path: string; text: string }> = [];
  for (const folder of ['src', 'test']) {
    for (const entry of readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.test.ts')) continue;
      const path = join(folder, entry);
      suites.push({ path, text: readFileSync(join(root, path), 'utf8') });
    }
  }
  return suites;
}
