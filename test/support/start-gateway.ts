import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { resolveConfig } from '../../src/config/index.js';
import type { ConfigInput } from '../../src/config/index.js';
import { createGateway } from '../../src/main.js';
import type { Gateway } from '../../src/main.js';

export const TEST_MASTER_KEY = 'sk-test-master-key';

export interface TestGateway {
  gateway: Gateway;
  /** http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

/** Starts a real gateway on 127.0.0.1 and a free port, with the given config and a silent logger. */
export async function startTestGateway(input: ConfigInput): Promise<TestGateway> {
  const cwd = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  const resolved = resolveConfig({
    auth: { master_key: TEST_MASTER_KEY },
    storage: { database_url: `sqlite://${join(cwd, 'sluice.db')}` },
    ...input,
  });
  if (!resolved.ok) throw new Error(`test config is invalid: ${JSON.stringify(resolved.problems)}`);
  const gateway = await createGateway(resolved.config, { cwd, logger: pino({ level: 'silent' }) });
  const url = await gateway.listen({ host: '127.0.0.1', port: 0 });
  return { gateway, url, close: () => gateway.close() };
}
