import cluster from 'node:cluster';
import { join } from 'node:path';
import type { GatewayConfig } from '../config/index.js';
import { configNotices, loadConfig } from '../config/index.js';
import { allowYoungGenerationGrowth } from '../lib/index.js';
import { createGateway } from '../main.js';
import { serveClusterMetrics } from '../observability/index.js';
import { loadOrCreateAdminKey, openDatabase, stateDirectory } from '../storage/index.js';
import { workersWarning } from './workers-warning.js';

export interface StartOptions {
  config?: string;
  host?: string;
  port?: string;
  workers?: string;
}

/** `sluice start`: one process, or N workers sharing the port through node:cluster. */
export async function runStart(options: StartOptions): Promise<void> {
  const { config, source } = loadConfig({ file: options.config });
  const host = options.host ?? config.server.host;
  const port = options.port === undefined ? config.server.port : parsePort(options.port);
  const workers = options.workers === undefined ? 1 : Number.parseInt(options.workers, 10);
  if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a positive integer');

  if (workers > 1 && cluster.isPrimary) {
    const warning = workersWarning(workers, config);
    if (warning !== null) process.stderr.write(warning);
    // Create the development admin key once, before the workers race for it.
    if (config.auth.master_key === undefined && config.environment === 'development') {
      loadOrCreateAdminKey(join(stateDirectory(config.storage.database_url, process.cwd()), 'admin-key'));
    }
    // Migrate once, before the workers race to do it (each would otherwise retry until one wins).
    await migrateOnce(config);
    // Scrapes land on any worker; the primary sums every worker's metrics for it.
    serveClusterMetrics();
    startPrimary(workers);
    return;
  }
  await startServer(config, source, host, port, cluster.isWorker);
}

async function startServer(config: GatewayConfig, source: string, host: string, port: number, isWorker: boolean): Promise<void> {
  const gateway = await createGateway(config, { clusterWorker: isWorker });
  const url = await gateway.listen({ host, port });
  allowYoungGenerationGrowth();
  if (!isWorker || cluster.worker?.id === 1) printBanner(url, source, gateway.adminKey, gateway.adminKeyGenerated, config, configNotices(config, host));
  gateway.logger.info({ url, config: source }, 'sluice is listening');
  for (const notice of configNotices(config, host)) gateway.logger.warn({ host }, notice);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'stopping: draining in-flight requests');
    const force = setTimeout(() => {
      gateway.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.server.shutdown_timeout_ms);
    force.unref();
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function startPrimary(workers: number): void {
  let stopping = false;
  for (let index = 0; index < workers; index += 1) cluster.fork();
  cluster.on('exit', (worker, code) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(`sluice: worker ${worker.process.pid} exited with ${code}; starting another\n`);
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function printBanner(url: string, source: string, adminKey: string, generated: boolean, config: GatewayConfig, notices: readonly string[]): void {
  const lines = [
    '',
    `  Sluice is running at ${url}  (config: ${source}, environment: ${config.environment})`,
    `  OpenAI SDK:    baseURL ${url}/v1`,
    `  Providers:     ${config.providers.map((provider) => `${provider.name} (${provider.type})`).join(', ') || 'none'}`,
  ];
  if (generated) {
    lines.push(`  Admin key:     ${adminKey}`);
    lines.push('                 (generated for development and kept in the state directory; set auth.master_key to choose one)');
  }
  for (const notice of notices) lines.push(`  Note:          ${notice}`);
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function parsePort(value: string): number {
  const port = Number.parseInt(value, 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: invalid port "${value}"`);
  return port;
}

async function migrateOnce(config: GatewayConfig): Promise<void> {
  const database = await openDatabase(config.storage.database_url, { cwd: process.cwd() });
  try {
    await database.migrate();
  } catch (error) {
    // The workers retry on their own (and spill rows to disk meanwhile).
    process.stderr.write(`sluice: database migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    await database.close().catch(() => {});
  }
}
