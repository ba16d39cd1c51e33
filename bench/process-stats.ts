import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function readClockTicksPerSecond(): number {
  try {
    const output = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    const value = Number.parseInt(output, 10);
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

/** USER_HZ: the unit of every time field in /proc/<pid>/stat and /proc/stat (100 on Linux). */
export const clockTicksPerSecond: number = readClockTicksPerSecond();

/** CPU time of one process, in clock ticks, from /proc/<pid>/stat. */
export interface ProcessCpuTicks {
  userTicks: number;
  systemTicks: number;
  /** CPU of children this process has already reaped (e.g. a finished wrk). */
  reapedChildrenTicks: number;
}

/** Reads utime, stime, cutime and cstime of `pid`; undefined when the process is gone. */
export function readProcessCpuTicks(pid: number): ProcessCpuTicks | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  const field = (position: number): number => Number.parseInt(fields[position - 3] ?? '0', 10);
  return {
    userTicks: field(14),
    systemTicks: field(15),
    reapedChildrenTicks: field(16) + field(17),
  };
}

/** utime + stime of a process in seconds; 0 when the process is gone. */
export function processCpuSeconds(pid: number, includeReapedChildren = false): number {
  const ticks = readProcessCpuTicks(pid);
  if (ticks === undefined) {
    return 0;
  }
  const total = ticks.userTicks + ticks.systemTicks + (includeReapedChildren ? ticks.reapedChildrenTicks : 0);
  return total / clockTicksPerSecond;
}

/** Machine-wide CPU counters from the first line of /proc/stat, in clock ticks. */
export interface MachineCpuTicks {
  busyTicks: number;
  totalTicks: number;
}

export function readMachineCpuTicks(): MachineCpuTicks {
  const firstLine = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is
  // already included in user, so only the first eight count.
  const values = firstLine.trim().split(/\s+/).slice(1, 9).map((value) => Number.parseInt(value, 10));
  let totalTicks = 0;
  for (const value of values) {
    totalTicks += Number.isFinite(value) ? value : 0;
  }
  const idleTicks = (values[3] ?? 0) + (values[4] ?? 0);
  return { busyTicks: totalTicks - idleTicks, totalTicks };
}

/** Share of all CPUs that was busy between two readings, 0–100. */
export function machineBusyPercent(before: MachineCpuTicks, after: MachineCpuTicks): number {
  const total = after.totalTicks - before.totalTicks;
  if (total <= 0) {
    return 0;
  }
  return ((after.busyTicks - before.busyTicks) / total) * 100;
}

/** Machine busy % over a short sampling window. */
export async function sampleMachineBusyPercent(windowMilliseconds: number): Promise<number> {
  const before = readMachineCpuTicks();
  await new Promise<void>((resolve) => setTimeout(resolve, windowMilliseconds));
  return machineBusyPercent(before, readMachineCpuTicks());
}

/** Resident memory of a process from /proc/<pid>/status, in MiB. */
export interface ProcessMemory {
  rssMegabytes: number;
  highWaterMegabytes: number;
}

export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kilobytes = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match?.[1] === undefined ? Number.NaN : Number.parseInt(match[1], 10);
  };
  return {
    rssMegabytes: kilobytes('VmRSS') / 1024,
    highWaterMegabytes: kilobytes('VmHWM') / 1024,
  };
}
