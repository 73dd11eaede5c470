/**
 * What every workload gets: the cluster, the options, SDK clients, a progress line, and a
 * measurement window that reads the cluster's CPU and memory around a stretch of load.
 */
import { performance } from 'node:perf_hooks';
import { BatonClient } from '@baton/sdk';
import type { BenchCluster } from './cluster.js';
import { cpuPercent, type ProcSample } from './proc-stats.js';
import { round } from './stats.js';

export interface LoadOptions {
  readonly workers: number;
  /** SDK clients (one connection each) the workers share; 0 = one per worker. */
  readonly clients: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly repeat: number;
  readonly trials: number;
  readonly ttlMs: number;
  readonly sessions: readonly number[];
  readonly locks: number;
  /** locks/contention: stop after this many cycles in all (0: measure windows of durationMs). */
  readonly cycles: number;
}

export interface RunContext {
  readonly cluster: BenchCluster;
  readonly opts: LoadOptions;
  progress(line: string): void;
}

export type WorkloadResult = Record<string, unknown>;

export interface WindowUsage {
  readonly wallMs: number;
  /** Per node, % of one core. */
  readonly nodeCpuPercent: Record<string, number>;
  /** All nodes together, % of one core. */
  readonly clusterCpuPercent: number;
  readonly nodeRssMiB: Record<string, number>;
  /** This (client) process, % of one core. */
  readonly clientCpuPercent: number;
}

/** Starts measuring now; `end()` reports CPU over the window and memory at its end. */
export function openWindow(cluster: BenchCluster): { end(): WindowUsage } {
  const t0 = performance.now();
  const before = new Map<string, ProcSample | null>(cluster.nodes.map((n) => [n.name, n.sample()]));
  const client0 = process.cpuUsage();
  return {
    end(): WindowUsage {
      const wallMs = performance.now() - t0;
      const client = process.cpuUsage(client0);
      const nodeCpuPercent: Record<string, number> = {};
      const nodeRssMiB: Record<string, number> = {};
      let total = 0;
      for (const n of cluster.nodes) {
        const after = n.sample();
        const pct = cpuPercent(before.get(n.name) ?? null, after, wallMs);
        nodeCpuPercent[n.name] = round(pct, 1);
        if (Number.isFinite(pct)) total += pct;
        nodeRssMiB[n.name] = after === null ? Number.NaN : round(after.rssBytes / 2 ** 20, 1);
      }
      return {
        wallMs: round(wallMs, 0),
        nodeCpuPercent,
        clusterCpuPercent: round(total, 1),
        nodeRssMiB,
        clientCpuPercent: round(((client.user + client.system) / 1000 / wallMs) * 100, 1),
      };
    },
  };
}

export function connectClients(ctx: RunContext, count: number, extra: { requestTimeoutMs?: number } = {}) {
  return Promise.all(
    Array.from({ length: count }, () =>
      BatonClient.connect({ endpoints: ctx.cluster.endpoints, requestTimeoutMs: extra.requestTimeoutMs ?? 10_000 }),
    ),
  );
}

export async function closeClients(clients: readonly BatonClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export const now = (): number => performance.now();

/** Logs the first few errors of a worker loop (a benchmark keeps going; a flood helps nobody). */
export function errorLogger(ctx: RunContext, what: string, max = 5): (err: unknown) => void {
  let seen = 0;
  return (err) => {
    seen += 1;
    if (seen <= max)
      ctx.progress(
        `${what}: ${err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err)}`,
      );
  };
}
