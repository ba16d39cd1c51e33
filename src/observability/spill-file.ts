import { mkdirSync, readdirSync } from 'node:fs';
import { appendFile, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { logRowToValues } from '../storage/index.js';
import type { RequestLogRow, RequestLogValues } from '../storage/index.js';

const SPILL_PATTERN = /^request-log-spill-(\d+)\.jsonl$/;
const REPLAY_PATTERN = /^request-log-replay-(\d+)-(\d+)\.jsonl$/;

/**
 * An append-only JSON-lines file of request-log rows the database could not take, one row's
 * values (a JSON array) per line. Each process
 * appends to its own file; a replay first renames the file (so new rows go to a fresh one), then
 * inserts its rows and deletes it. Files of processes that died are claimed by the next replay.
 * Inserts skip rows already written, so replaying a file twice is harmless.
 */
export class SpillFile {
  readonly directory: string;
  private readonly pid: number;
  private chain: Promise<void> = Promise.resolve();
  private replaySequence = 0;
  private pendingRows = false;

  constructor(directory: string, pid: number = process.pid) {
    this.directory = directory;
    this.pid = pid;
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.pendingRows = this.claimable().length > 0;
  }

  get path(): string {
    return join(this.directory, `request-log-spill-${this.pid}.jsonl`);
  }

  /** True when some file (ours or a dead process's) holds rows not yet replayed. */
  get pending(): boolean {
    return this.pendingRows;
  }

  append(rows: readonly RequestLogValues[]): Promise<void> {
    if (rows.length === 0) return this.chain;
    let text = '';
    for (const row of rows) text += `${JSON.stringify(row)}\n`;
    this.pendingRows = true;
    const run = this.chain.then(() => appendFile(this.path, text, { mode: 0o600 }));
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Writes every spilled row through `insert`, which answers the rows it could not write because
   * the database is unavailable (rows it quarantined count as done). Those rows, and every row of
   * the file not tried yet, go back to our own spill file before the claimed file is deleted, so a
   * poison row can never hold a file (and every row behind it) forever. Returns the rows written
   * and the rows put back.
   */
  async replay(
    insert: (rows: RequestLogValues[]) => Promise<RequestLogValues[]>, batchSize: number,
  ): Promise<{ replayed: number; returned: number }> {
    await this.chain;
    const claimed = await this.claim();
    let replayed = 0;
    let returned = 0;
    for (const file of claimed) {
      const rows = parseRows(await readFile(file, 'utf8'));
      const putBack: RequestLogValues[] = [];
      for (let start = 0; start < rows.length; start += batchSize) {
        const batch = rows.slice(start, start + batchSize);
        if (putBack.length > 0) {
          putBack.push(...batch);
          continue;
        }
        const unwritten = await insert(batch);
        replayed += batch.length - unwritten.length;
        putBack.push(...unwritten);
      }
      if (putBack.length > 0) await this.append(putBack);
      await unlink(file);
      returned += putBack.length;
    }
    this.pendingRows = this.claimable().length > 0;
    return { replayed, returned };
  }

  /** Waits for every append to reach the file. */
  async settle(): Promise<void> {
    await this.chain;
  }

  private async claim(): Promise<string[]> {
    const claimed: string[] = [];
    for (const name of this.claimable()) {
      const replayMatch = REPLAY_PATTERN.exec(name);
      if (replayMatch !== null && Number(replayMatch[1]) === this.pid) {
        claimed.push(join(this.directory, name));
        continue;
      }
      this.replaySequence += 1;
      const target = join(this.directory, `request-log-replay-${this.pid}-${Date.now()}${this.replaySequence}.jsonl`);
      try {
        await rename(join(this.directory, name), target);
        claimed.push(target);
      } catch {
        // Another process claimed it first.
      }
    }
    return claimed;
  }

  /** Our own spill and replay files, and those of processes no longer running. */
  private claimable(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.directory);
    } catch {
      return [];
    }
    return names.filter((name) => {
      const match = SPILL_PATTERN.exec(name) ?? REPLAY_PATTERN.exec(name);
      if (match === null) return false;
      const owner = Number(match[1]);
      return owner === this.pid || !isAlive(owner);
    }).sort();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

/**
 * Parses the file's lines; a torn last line (a crash mid-append) is skipped. A line may also be a
 * row object, as versions before the flat values wrote them, so an upgrade loses no spilled row.
 */
function parseRows(text: string): RequestLogValues[] {
  const rows: RequestLogValues[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (Array.isArray(parsed)) {
        if (typeof parsed[0] === 'string' && typeof parsed[1] === 'string') rows.push(parsed as RequestLogValues);
      } else if (isLegacyRow(parsed)) {
        rows.push(logRowToValues(parsed));
      }
    } catch {
      // torn line
    }
  }
  return rows;
}

function isLegacyRow(value: unknown): value is RequestLogRow {
  if (typeof value !== 'object' || value === null) return false;
  const row = value as Partial<RequestLogRow>;
  return typeof row.rowKey === 'string' && typeof row.requestId === 'string' && Array.isArray(row.attempts);
}
