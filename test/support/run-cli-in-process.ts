import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run-cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Variables the CLI reads that the test machine may have set; cleared so each run starts clean. */
const CLEARED_ENV = /^(SLUICE_|OPENAI_|ANTHROPIC_|GEMINI_|GOOGLE_)/;

let running = false;

/**
 * Runs a `sluice` command line in this process, in `cwd` (a fresh temporary directory by
 * default), and captures what it writes. One run at a time: the working directory, the
 * environment and the output streams are the process's own.
 */
export async function runCliInProcess(args: string[], options: { cwd?: string } = {}): Promise<CliRun> {
  if (running) throw new Error('runCliInProcess: one run at a time');
  running = true;
  const previousCwd = process.cwd();
  const savedEnv = Object.entries(process.env).filter(([name]) => CLEARED_ENV.test(name));
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  let stdout = '';
  let stderr = '';
  process.chdir(options.cwd ?? mkdtempSync(join(tmpdir(), 'sluice-cli-')));
  for (const [name] of savedEnv) delete process.env[name];
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await runCli(['node', 'sluice', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    for (const [name, value] of savedEnv) process.env[name] = value;
    process.chdir(previousCwd);
    running = false;
  }
}
