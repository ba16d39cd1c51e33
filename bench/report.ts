import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LoadGeneratorName, SaturationResult } from './load-generator.js';
import type { RunConditions } from './measure-run.js';
import type { TargetKind } from './targets.js';

export interface SaturationMeasurement extends SaturationResult {
  /** Target process CPU µs per request. */
  cpuMicrosPerRequest: number;
  /** Mock upstream CPU µs per request (absent for the direct target). */
  upstreamCpuMicrosPerRequest?: number;
  conditions: RunConditions;
}

export interface LatencyMeasurement {
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  cpuMicrosPerRequest: number;
  conditions: RunConditions;
}

export interface StreamMeasurement {
  concurrency: number;
  streams: number;
  errors: number;
  firstContentP50Ms: number;
  firstContentP99Ms: number;
  durationP50Ms: number;
  meanBytesPerStream: number;
  cpuMicrosPerStream: number;
  conditions: RunConditions;
}

/** Everything measured for one target in one round. */
export interface TargetRoundResult {
  round: number;
  /** 0-based position of the target in this round's (rotated) order. */
  position: number;
  target: string;
  kind: TargetKind;
  saturation?: SaturationMeasurement;
  latency?: LatencyMeasurement;
  streamSingle?: StreamMeasurement;
  streamConcurrent?: StreamMeasurement;
}

export interface TargetMemory {
  target: string;
  /** RSS right after start, before any load. */
  idleRssMegabytes: number;
  /** RSS and high-water mark after all runs. */
  rssMegabytes: number;
  highWaterMegabytes: number;
}

export interface TargetInfo {
  name: string;
  kind: TargetKind;
  pid: number;
}

export interface BenchMeta {
  startedAt: string;
  finishedAt: string;
  nodeVersion: string;
  cpuCount: number;
  cpuModel: string;
  loadGenerator: LoadGeneratorName;
  wrkVersion?: string;
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  saturationConnections: number;
  streamConcurrency: number;
  clockTicksPerSecond: number;
}

/** Median of rounds plus the min–max spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  values: number[];
}

export interface TargetSummary {
  target: string;
  kind: TargetKind;
  requestsPerSecond?: Spread;
  ratioVsBare?: Spread;
  cpuMicrosPerRequest?: Spread;
  latencyP50Ms?: Spread;
  latencyP99Ms?: Spread;
  addedP50Ms?: Spread;
  addedP99Ms?: Spread;
  streamTtfbP50Ms?: Spread;
  streamTtfbP99Ms?: Spread;
  addedStreamTtfbP50Ms?: Spread;
  addedStreamTtfbP99Ms?: Spread;
  concurrentStreamTtfbP50Ms?: Spread;
  concurrentStreamTtfbP99Ms?: Spread;
  addedConcurrentStreamTtfbP50Ms?: Spread;
  addedConcurrentStreamTtfbP99Ms?: Spread;
  streamDurationP50Ms?: Spread;
  concurrentStreamDurationP50Ms?: Spread;
  errors: number;
  memory?: TargetMemory;
}

export interface RoundCondition {
  round: number;
  order: string[];
  maxPreRunBusyPercent: number;
  meanBusyPercent: number;
  /** Largest CPU time used during one run by processes other than ours (plus kernel softirq). */
  maxOtherCpuSeconds: number;
  /** Some run in this round started while the machine was > 50 % busy. */
  startedBusy: boolean;
  /** Some run in this round shared the machine with noticeable other load. */
  otherLoadDuringRun: boolean;
}

export interface BenchReport {
  meta: BenchMeta;
  targets: TargetInfo[];
  runs: TargetRoundResult[];
  memory: TargetMemory[];
  rounds: RoundCondition[];
  summary: TargetSummary[];
  notes: string[];
  markdown: string;
}

export function spreadOf(values: readonly number[]): Spread | undefined {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) {
    return undefined;
  }
  const sorted = [...finite].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN, values: finite };
}

type RoundValue = (run: TargetRoundResult) => number | undefined;

function collect(runs: readonly TargetRoundResult[], pick: RoundValue): Spread | undefined {
  const values: number[] = [];
  for (const run of runs) {
    const value = pick(run);
    if (value !== undefined) {
      values.push(value);
    }
  }
  return spreadOf(values);
}

/** Per-round difference against another target's run in the same round. */
function collectDelta(runs: readonly TargetRoundResult[], references: ReadonlyMap<number, TargetRoundResult>, pick: RoundValue, combine: (value: number, reference: number) => number): Spread | undefined {
  const values: number[] = [];
  for (const run of runs) {
    const reference = references.get(run.round);
    const value = pick(run);
    const referenceValue = reference === undefined ? undefined : pick(reference);
    if (value !== undefined && referenceValue !== undefined) {
      values.push(combine(value, referenceValue));
    }
  }
  return spreadOf(values);
}

const minus = (value: number, reference: number): number => value - reference;
const ratio = (value: number, reference: number): number => value / reference;

function runErrors(run: TargetRoundResult): number {
  return (run.saturation?.errors ?? 0) + (run.latency?.errors ?? 0) + (run.streamSingle?.errors ?? 0) + (run.streamConcurrent?.errors ?? 0);
}

function byRound(runs: readonly TargetRoundResult[], kind: TargetKind): Map<number, TargetRoundResult> {
  const map = new Map<number, TargetRoundResult>();
  for (const run of runs) {
    if (run.kind === kind && !map.has(run.round)) {
      map.set(run.round, run);
    }
  }
  return map;
}

/** Aggregates rounds into one row per target: medians, spreads and same-round deltas. */
export function buildSummary(targets: readonly TargetInfo[], runs: readonly TargetRoundResult[], memory: readonly TargetMemory[]): TargetSummary[] {
  const direct = byRound(runs, 'direct');
  const bare = byRound(runs, 'bare');
  return targets.map((target) => {
    const own = runs.filter((run) => run.target === target.name);
    const isDirect = target.kind === 'direct';
    const delta = (pick: RoundValue): Spread | undefined => (isDirect ? undefined : collectDelta(own, direct, pick, minus));
    const summary: TargetSummary = {
      target: target.name,
      kind: target.kind,
      requestsPerSecond: collect(own, (run) => run.saturation?.requestsPerSecond),
      ratioVsBare: collectDelta(own, bare, (run) => run.saturation?.requestsPerSecond, ratio),
      cpuMicrosPerRequest: collect(own, (run) => run.saturation?.cpuMicrosPerRequest),
      latencyP50Ms: collect(own, (run) => run.latency?.p50Ms),
      latencyP99Ms: collect(own, (run) => run.latency?.p99Ms),
      addedP50Ms: delta((run) => run.latency?.p50Ms),
      addedP99Ms: delta((run) => run.latency?.p99Ms),
      streamTtfbP50Ms: collect(own, (run) => run.streamSingle?.firstContentP50Ms),
      streamTtfbP99Ms: collect(own, (run) => run.streamSingle?.firstContentP99Ms),
      addedStreamTtfbP50Ms: delta((run) => run.streamSingle?.firstContentP50Ms),
      addedStreamTtfbP99Ms: delta((run) => run.streamSingle?.firstContentP99Ms),
      concurrentStreamTtfbP50Ms: collect(own, (run) => run.streamConcurrent?.firstContentP50Ms),
      concurrentStreamTtfbP99Ms: collect(own, (run) => run.streamConcurrent?.firstContentP99Ms),
      addedConcurrentStreamTtfbP50Ms: delta((run) => run.streamConcurrent?.firstContentP50Ms),
      addedConcurrentStreamTtfbP99Ms: delta((run) => run.streamConcurrent?.firstContentP99Ms),
      streamDurationP50Ms: collect(own, (run) => run.streamSingle?.durationP50Ms),
      concurrentStreamDurationP50Ms: collect(own, (run) => run.streamConcurrent?.durationP50Ms),
      errors: own.reduce((total, run) => total + runErrors(run), 0),
      memory: memory.find((entry) => entry.target === target.name),
    };
    return summary;
  });
}

/** Per-round machine conditions across every run of the round. */
export function buildRoundConditions(runs: readonly TargetRoundResult[]): RoundCondition[] {
  const rounds = [...new Set(runs.map((run) => run.round))].sort((left, right) => left - right);
  return rounds.map((round) => {
    const own = runs.filter((run) => run.round === round).sort((left, right) => left.position - right.position);
    const conditions: RunConditions[] = [];
    for (const run of own) {
      for (const measurement of [run.saturation, run.latency, run.streamSingle, run.streamConcurrent]) {
        if (measurement !== undefined) {
          conditions.push(measurement.conditions);
        }
      }
    }
    const busyValues = conditions.map((condition) => condition.busyPercent);
    return {
      round,
      order: own.map((run) => run.target),
      maxPreRunBusyPercent: Math.max(0, ...conditions.map((condition) => condition.preRunBusyPercent)),
      meanBusyPercent: busyValues.length === 0 ? 0 : busyValues.reduce((total, value) => total + value, 0) / busyValues.length,
      maxOtherCpuSeconds: Math.max(0, ...conditions.map((condition) => condition.otherCpuSeconds)),
      startedBusy: conditions.some((condition) => condition.startedBusy),
      otherLoadDuringRun: conditions.some((condition) => condition.otherLoadDuringRun),
    };
  });
}

function formatNumber(value: number, digits: number, signed = false): string {
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return signed && value >= 0 ? `+${text}` : text;
}

/** "median (min–max)", or just the value when all rounds agree or there is one round. */
function cell(spread: Spread | undefined, digits: number, signed = false, suffix = ''): string {
  if (spread === undefined) {
    return '—';
  }
  const median = `${formatNumber(spread.median, digits, signed)}${suffix}`;
  if (spread.values.length < 2 || formatNumber(spread.min, digits) === formatNumber(spread.max, digits)) {
    return median;
  }
  return `${median} (${formatNumber(spread.min, digits, signed)}–${formatNumber(spread.max, digits, signed)})`;
}

function pair(first: Spread | undefined, second: Spread | undefined, digits: number, signed = false): string {
  if (first === undefined && second === undefined) {
    return '—';
  }
  return `${cell(first, digits, signed)} / ${cell(second, digits, signed)}`;
}

function roundMarker(round: RoundCondition): string {
  const markers: string[] = [];
  if (round.startedBusy) {
    markers.push('⚠ busy before start');
  }
  if (round.otherLoadDuringRun) {
    markers.push('⚠ other load during a run');
  }
  return markers.length === 0 ? 'ok' : markers.join(', ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) {
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

function memoryCell(memory: TargetMemory | undefined): string {
  if (memory === undefined) {
    return '—';
  }
  return `${formatNumber(memory.idleRssMegabytes, 1)} → ${formatNumber(memory.rssMegabytes, 1)} / ${formatNumber(memory.highWaterMegabytes, 1)}`;
}

/** Notes derived from the data: generator, busy rounds, errors, mock headroom. */
export function buildNotes(meta: BenchMeta, summary: readonly TargetSummary[], rounds: readonly RoundCondition[]): string[] {
  const notes: string[] = [];
  notes.push(meta.loadGenerator === 'wrk'
    ? `Saturation load generator: wrk ${meta.wrkVersion ?? ''} (-t1 -c${meta.saturationConnections}).`.replace('  ', ' ')
    : `Saturation load generator: built-in undici generator (${meta.saturationConnections} connections, in the harness process) — wrk was not found; install it (apt-get install wrk) for the reference method.`);
  for (const round of rounds) {
    if (round.startedBusy) {
      notes.push(`⚠ round ${round.round}: the machine was already ${formatNumber(round.maxPreRunBusyPercent, 0)} % busy before a run started; treat that round with suspicion.`);
    }
    if (round.otherLoadDuringRun) {
      notes.push(`⚠ round ${round.round}: other processes used up to ${formatNumber(round.maxOtherCpuSeconds, 1)} CPU-seconds during a run; treat that round with suspicion.`);
    }
  }
  for (const row of summary) {
    if (row.errors > 0) {
      notes.push(`⚠ ${row.target}: ${row.errors} failed requests or streams across all runs.`);
    }
  }
  const directRate = summary.find((row) => row.kind === 'direct')?.requestsPerSecond?.median;
  const fastestProxy = Math.max(0, ...summary.filter((row) => row.kind !== 'direct').map((row) => row.requestsPerSecond?.median ?? 0));
  if (directRate !== undefined && fastestProxy > 0 && directRate < 3 * fastestProxy) {
    notes.push(`⚠ direct-to-mock throughput (${formatNumber(directRate, 0)} req/s) is less than 3× the fastest proxy (${formatNumber(fastestProxy, 0)} req/s): the mock may be part of the bottleneck.`);
  }
  return notes;
}

export function renderMarkdown(meta: BenchMeta, summary: readonly TargetSummary[], rounds: readonly RoundCondition[], notes: readonly string[]): string {
  const sections: string[] = [];
  sections.push(`### Sluice benchmark — ${meta.startedAt}`);
  sections.push(
    `Node ${meta.nodeVersion}, ${meta.cpuCount} × ${meta.cpuModel}; ${meta.rounds} round(s), ${meta.durationSeconds} s per run, ` +
      `${meta.warmupSeconds} s warm-up; saturation at c=${meta.saturationConnections} with ${meta.loadGenerator}; streams at c=1 and c=${meta.streamConcurrency}. ` +
      'Cells: median of rounds (min–max). "added" = target − direct-to-mock in the same round. "vs bare" = target req/s ÷ bare proxy req/s in the same round.',
  );
  sections.push(
    table(
      ['Target', 'req/s (c=50)', 'vs bare', 'CPU µs/req', 'c=1 p50 / p99 ms', 'added p50 / p99 ms', 'stream first content c=1 p50 / p99 ms', 'added first content p50 / p99 ms', 'RSS MB idle → after / HWM'],
      summary.map((row) => [
        row.target,
        cell(row.requestsPerSecond, 0),
        cell(row.ratioVsBare, 2),
        cell(row.cpuMicrosPerRequest, 1),
        pair(row.latencyP50Ms, row.latencyP99Ms, 3),
        pair(row.addedP50Ms, row.addedP99Ms, 3, true),
        pair(row.streamTtfbP50Ms, row.streamTtfbP99Ms, 3),
        pair(row.addedStreamTtfbP50Ms, row.addedStreamTtfbP99Ms, 3, true),
        memoryCell(row.memory),
      ]),
    ),
  );
  sections.push(`#### Streaming at c=${meta.streamConcurrency}`);
  sections.push(
    table(
      ['Target', `first content c=${meta.streamConcurrency} p50 / p99 ms`, 'added first content p50 / p99 ms', 'stream duration p50 c=1 / c=' + String(meta.streamConcurrency) + ' ms', 'errors'],
      summary.map((row) => [
        row.target,
        pair(row.concurrentStreamTtfbP50Ms, row.concurrentStreamTtfbP99Ms, 3),
        pair(row.addedConcurrentStreamTtfbP50Ms, row.addedConcurrentStreamTtfbP99Ms, 3, true),
        pair(row.streamDurationP50Ms, row.concurrentStreamDurationP50Ms, 1),
        String(row.errors),
      ]),
    ),
  );
  sections.push('#### Machine load per round');
  sections.push(
    table(
      ['Round', 'Order', 'max busy % before a run', 'mean busy % during runs', 'max other CPU s in a run', ''],
      rounds.map((round) => [
        String(round.round),
        round.order.join(' → '),
        formatNumber(round.maxPreRunBusyPercent, 0),
        formatNumber(round.meanBusyPercent, 0),
        formatNumber(round.maxOtherCpuSeconds, 2),
        roundMarker(round),
      ]),
    ),
  );
  if (notes.length > 0) {
    sections.push(notes.map((note) => `- ${note}`).join('\n'));
  }
  return `${sections.join('\n\n')}\n`;
}

export function assembleReport(meta: BenchMeta, targets: readonly TargetInfo[], runs: readonly TargetRoundResult[], memory: readonly TargetMemory[]): BenchReport {
  const summary = buildSummary(targets, runs, memory);
  const rounds = buildRoundConditions(runs);
  const notes = buildNotes(meta, summary, rounds);
  return {
    meta,
    targets: [...targets],
    runs: [...runs],
    memory: [...memory],
    rounds,
    summary,
    notes,
    markdown: renderMarkdown(meta, summary, rounds, notes),
  };
}

export async function writeReportJson(report: BenchReport, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
