/**
 * CPU time and resident memory of a process, read from /proc (Linux): what the cluster costs
 * while a workload runs. CPU is reported as a percentage of one core over a window.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run). */
const USER_HZ = 100;

export interface ProcSample {
  readonly cpuMs: number;
  readonly rssBytes: number;
}

/** null when the process is gone (or /proc is not there). */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces: fields are counted after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuMs: ((utime + stime) * 1000) / USER_HZ, rssBytes: rssKb * 1024 };
  } catch {
    return null;
  }
}

/** CPU used between two samples, as % of one core over `wallMs`. */
export function cpuPercent(before: ProcSample | null, after: ProcSample | null, wallMs: number): number {
  if (before === null || after === null || wallMs <= 0) return Number.NaN;
  return ((after.cpuMs - before.cpuMs) / wallMs) * 100;
}
