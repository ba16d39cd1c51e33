import { availableParallelism } from 'node:os';
import {
  clockTicksPerSecond,
  machineBusyPercent,
  processCpuSeconds,
  readMachineCpuTicks,
  readProcessCpuTicks,
  sampleMachineBusyPercent,
} from './process-stats.js';

/** How busy the machine was around one measured run, and who used the CPU. */
export interface RunConditions {
  /** Machine busy % in the ~0.5 s just before the run started. */
  preRunBusyPercent: number;
  /** True when the machine was still > 50 % busy before the run, after a short bounded wait. */
  startedBusy: boolean;
  /** Machine busy % during the run (all CPUs). */
  busyPercent: number;
  wallSeconds: number;
  /** utime + stime of the target process during the run. */
  targetCpuSeconds: number;
  /** The mock upstream's CPU (0 when the target is the mock itself). */
  upstreamCpuSeconds: number;
  /** The harness, including load generators it ran and reaped (wrk). */
  harnessCpuSeconds: number;
  /**
   * Machine busy time not accounted to the processes above (other tenants, kernel softirq).
   * Approximate: /proc/stat and per-process times are sampled differently, so values within
   * about ±1 s of zero are accounting noise.
   */
  otherCpuSeconds: number;
  /** Other CPU above 12.5 % of the machine's capacity during the run. */
  otherLoadDuringRun: boolean;
}

export interface MeasuredProcesses {
  targetPid: number;
  upstreamPid: number;
}

export const BUSY_THRESHOLD_PERCENT = 50;
const IDLE_SAMPLE_MILLISECONDS = 500;
const MAX_IDLE_WAITS = 4;
/** Share of the machine (all CPUs × wall time) that other processes may use before a run is flagged. */
export const OTHER_LOAD_THRESHOLD = 0.125;

/** CPU seconds of a process that must still be running (a crashed target must not yield numbers). */
function liveProcessCpuSeconds(pid: number, role: string): number {
  if (readProcessCpuTicks(pid) === undefined) {
    throw new Error(`the ${role} process (pid ${pid}) is gone: it exited during the benchmark`);
  }
  return processCpuSeconds(pid);
}

/** Samples machine load before starting; waits a few bounded steps if it is busy. */
async function waitForQuietMachine(): Promise<number> {
  let busy = await sampleMachineBusyPercent(IDLE_SAMPLE_MILLISECONDS);
  for (let attempt = 0; attempt < MAX_IDLE_WAITS && busy > BUSY_THRESHOLD_PERCENT; attempt += 1) {
    busy = await sampleMachineBusyPercent(IDLE_SAMPLE_MILLISECONDS);
  }
  return busy;
}

/**
 * Runs `body` between two sets of /proc readings: machine CPU from /proc/stat, the target's and
 * the mock's utime + stime from /proc/<pid>/stat, and the harness's own CPU including reaped
 * children.
 */
export async function measureRun<Result>(processes: MeasuredProcesses, body: () => Promise<Result>): Promise<{ result: Result; conditions: RunConditions }> {
  const preRunBusyPercent = await waitForQuietMachine();
  const upstreamIsTarget = processes.upstreamPid === processes.targetPid;
  const machineBefore = readMachineCpuTicks();
  const targetBefore = liveProcessCpuSeconds(processes.targetPid, 'target');
  const upstreamBefore = upstreamIsTarget ? 0 : liveProcessCpuSeconds(processes.upstreamPid, 'mock upstream');
  const harnessBefore = processCpuSeconds(process.pid, true);
  const startedAt = process.hrtime.bigint();

  const result = await body();

  const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const machineAfter = readMachineCpuTicks();
  const targetCpuSeconds = liveProcessCpuSeconds(processes.targetPid, 'target') - targetBefore;
  const upstreamCpuSeconds = upstreamIsTarget ? 0 : liveProcessCpuSeconds(processes.upstreamPid, 'mock upstream') - upstreamBefore;
  const harnessCpuSeconds = processCpuSeconds(process.pid, true) - harnessBefore;
  const machineBusySeconds = (machineAfter.busyTicks - machineBefore.busyTicks) / clockTicksPerSecond;
  const otherCpuSeconds = machineBusySeconds - targetCpuSeconds - upstreamCpuSeconds - harnessCpuSeconds;
  return {
    result,
    conditions: {
      preRunBusyPercent,
      startedBusy: preRunBusyPercent > BUSY_THRESHOLD_PERCENT,
      busyPercent: machineBusyPercent(machineBefore, machineAfter),
      wallSeconds,
      targetCpuSeconds,
      upstreamCpuSeconds,
      harnessCpuSeconds,
      otherCpuSeconds,
      otherLoadDuringRun: otherCpuSeconds > OTHER_LOAD_THRESHOLD * wallSeconds * availableParallelism(),
    },
  };
}

/** CPU µs per request of a process: CPU seconds × 1e6 / requests. */
export function cpuMicrosecondsPerRequest(cpuSeconds: number, requests: number): number {
  return requests > 0 ? (cpuSeconds * 1e6) / requests : Number.NaN;
}
