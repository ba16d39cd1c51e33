import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr go to this file (the harness never has to drain a pipe). */
  logPath?: string;
  /** Keep stdout and stderr in memory instead (for short-lived tools such as wrk). */
  captureOutput?: boolean;
}

const liveProcesses = new Set<ManagedProcess>();

/** A child process the harness started and is responsible for stopping. */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string | undefined;
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private exitResult: ProcessExit | undefined;
  private capturedStdout = '';
  private capturedStderr = '';

  constructor(options: ManagedProcessOptions) {
    this.name = options.name;
    this.logPath = options.logPath;
    let stdio: StdioOptions = 'ignore';
    let logDescriptor: number | undefined;
    if (options.captureOutput === true) {
      stdio = ['ignore', 'pipe', 'pipe'];
    } else if (options.logPath !== undefined) {
      logDescriptor = openSync(options.logPath, 'a');
      stdio = ['ignore', logDescriptor, logDescriptor];
    }
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio,
    });
    if (logDescriptor !== undefined) {
      closeSync(logDescriptor);
    }
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.capturedStdout += text;
    });
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.capturedStderr += text;
    });
    this.exited = new Promise<ProcessExit>((resolve) => {
      this.child.once('error', (error: Error) => {
        this.finish({ code: null, signal: null, error }, resolve);
      });
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.finish({ code, signal }, resolve);
      });
    });
    this.pid = this.child.pid ?? -1;
    liveProcesses.add(this);
  }

  private finish(result: ProcessExit, resolve: (result: ProcessExit) => void): void {
    if (this.exitResult === undefined) {
      this.exitResult = result;
    }
    liveProcesses.delete(this);
    resolve(this.exitResult);
  }

  get hasExited(): boolean {
    return this.exitResult !== undefined;
  }

  get exitDescription(): string {
    const result = this.exitResult;
    if (result === undefined) {
      return 'running';
    }
    if (result.error !== undefined) {
      return `failed to start: ${result.error.message}`;
    }
    return result.signal === null ? `exited with code ${String(result.code)}` : `killed by ${result.signal}`;
  }

  get stdout(): string {
    return this.capturedStdout;
  }

  get stderr(): string {
    return this.capturedStderr;
  }

  /** Last lines of the log file or captured stderr, for error messages. */
  outputTail(lineCount = 30): string {
    let text = this.capturedStderr + this.capturedStdout;
    if (this.logPath !== undefined) {
      try {
        text = readFileSync(this.logPath, 'utf8');
      } catch {
        // no log yet
      }
    }
    return text.trimEnd().split('\n').slice(-lineCount).join('\n');
  }

  /** SIGTERM, then SIGKILL after `graceMilliseconds`. Safe to call twice. */
  async stop(graceMilliseconds = 3000): Promise<void> {
    if (this.hasExited || this.pid < 0) {
      return;
    }
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMilliseconds);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && !this.hasExited) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Synchronous last resort, used from the process 'exit' handler. */
  killNow(): void {
    if (!this.hasExited && this.pid > 0) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export function spawnManagedProcess(options: ManagedProcessOptions): ManagedProcess {
  return new ManagedProcess(options);
}

/** Stops every process started through this module that is still running. */
export async function stopAllManagedProcesses(): Promise<void> {
  await Promise.all([...liveProcesses].map((managed) => managed.stop()));
}

let handlersInstalled = false;
let shuttingDown = false;

/** True once SIGINT/SIGTERM arrived: failures after that are expected, not worth a stack trace. */
export function isShuttingDown(): boolean {
  return shuttingDown;
}

/**
 * On SIGINT/SIGTERM: stop every child, run `cleanup`, exit. On any exit: SIGKILL whatever is
 * still alive, so no child outlives the harness even after an uncaught error.
 */
export function installShutdownHandlers(cleanup: () => Promise<void>): void {
  if (handlersInstalled) {
    return;
  }
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      return;
    }
    shuttingDown = true;
    process.stderr.write(`\n${signal} received: stopping benchmark processes…\n`);
    void stopAllManagedProcesses()
      .then(cleanup)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const managed of liveProcesses) {
      managed.killNow();
    }
  });
}
