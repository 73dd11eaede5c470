/**
 * CPU time and resident memory of processes, and the machine's busy time, from /proc (Linux).
 * Elsewhere every reading is null and the rows that need them say so.
 */
import { readFileSync } from 'node:fs';

/**
 * Kernel clock ticks per second (sysconf(_SC_CLK_TCK)): 100 on every Linux this runs on; Node
 * cannot call sysconf, and /proc/<pid>/stat counts in these ticks.
 */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** User + system CPU time so far, all threads. */
  readonly cpuMs: number;
  readonly rssBytes: number;
}

export function sampleProcess(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may contain spaces: fields are counted after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
    if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(rssKb)) return null;
    return { cpuMs: ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND, rssBytes: rssKb * 1024 };
  } catch {
    return null;
  }
}

export interface MachineSample {
  readonly busyTicks: number;
  readonly totalTicks: number;
}

/** Busy and total jiffies of all cores since boot (the first line of /proc/stat). */
export function sampleMachine(): MachineSample | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const nums = line.trim().split(/\s+/).slice(1).map(Number);
    const total = nums.reduce((a, b) => a + b, 0);
    const idle = (nums[3] ?? 0) + (nums[4] ?? 0); // idle + iowait
    return { busyTicks: total - idle, totalTicks: total };
  } catch {
    return null;
  }
}
