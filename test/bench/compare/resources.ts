/**
 * What a measurement window cost: the servers' CPU (% of one core, summed over the nodes) and
 * memory, this client process's event-loop use (the sign that the client, not the servers, was
 * the bottleneck), and how busy the whole machine was.
 */
import { cpus } from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { type MachineSample, type ProcSample, sampleMachine, sampleProcess } from './proc/proc-stats.js';

/**
 * Above this CPU (% of one core) the client process was the bottleneck, not the servers: its
 * JavaScript runs on one thread. (Event-loop utilization alone misleads on a busy machine: a
 * process waiting for a core counts as busy.)
 */
export const CLIENT_BOUND_CPU_PCT = 85;
/** Above this share of all cores busy the machine itself was saturated. */
export const MACHINE_SATURATED = 0.95;

export interface ResourceUse {
  /** CPU of all server processes in the window, in % of one core (3 nodes fully busy = 300). */
  readonly serverCpuPct: number | null;
  /** RSS of each server process at the end of the window, MB. */
  readonly serverRssMb: readonly (number | null)[];
  /** Event-loop utilization of this (client) process, 0..1. */
  readonly clientElu: number;
  /** CPU of this client process, in % of one core. */
  readonly clientCpuPct: number;
  /** Share of all cores busy, 0..1 (other engineers' work included). */
  readonly machineBusy: number | null;
  readonly cores: number;
}

export class ResourceMeter {
  private readonly t0 = performance.now();
  private readonly elu0: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly cpu0 = process.cpuUsage();
  private readonly machine0: MachineSample | null = sampleMachine();
  private readonly servers0: (ProcSample | null)[];

  constructor(private readonly pids: () => readonly (number | null)[]) {
    this.servers0 = pids().map((p) => (p === null ? null : sampleProcess(p)));
  }

  finish(): ResourceUse {
    const elapsedMs = performance.now() - this.t0;
    const servers1 = this.pids().map((p) => (p === null ? null : sampleProcess(p)));
    let serverCpuMs: number | null = 0;
    for (let i = 0; i < servers1.length; i++) {
      const a = this.servers0[i];
      const b = servers1[i];
      if (a == null || b == null) serverCpuMs = null;
      else if (serverCpuMs !== null) serverCpuMs += b.cpuMs - a.cpuMs;
    }
    const cpu = process.cpuUsage(this.cpu0);
    const machine1 = sampleMachine();
    const m0 = this.machine0;
    const machineBusy =
      m0 !== null && machine1 !== null && machine1.totalTicks > m0.totalTicks
        ? (machine1.busyTicks - m0.busyTicks) / (machine1.totalTicks - m0.totalTicks)
        : null;
    return {
      serverCpuPct: serverCpuMs === null ? null : (100 * serverCpuMs) / elapsedMs,
      serverRssMb: servers1.map((s) => (s === null ? null : s.rssBytes / 2 ** 20)),
      clientElu: performance.eventLoopUtilization(this.elu0).utilization,
      clientCpuPct: (100 * (cpu.user + cpu.system)) / 1000 / elapsedMs,
      machineBusy,
      cores: cpus().length,
    };
  }
}

export type Bottleneck = 'client' | 'machine';

/** What, other than the servers, set the pace of a window (null: the servers did). */
export function bottleneckOf(use: ResourceUse): Bottleneck | null {
  if (use.clientCpuPct >= CLIENT_BOUND_CPU_PCT) return 'client';
  if (use.machineBusy !== null && use.machineBusy >= MACHINE_SATURATED) return 'machine';
  return null;
}
