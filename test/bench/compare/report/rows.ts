/**
 * The rows of the table, derived from the plan (worker and session counts), with the issue's
 * targets: what Baton must reach against the best peer, within one run.
 */
import type { SystemName } from '../clients/lock-client.js';
import type { BenchPlan, Workload } from '../plan.js';

type Values = Readonly<Partial<Record<SystemName, number | null>>>;

export interface TargetSpec {
  readonly text: string;
  /** true/false when it can be judged from this run's values, null when not. */
  readonly check: (v: Values) => boolean | null;
}

export interface RowSpec {
  readonly id: string;
  readonly workload: Workload;
  readonly label: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower' | null;
  /** Systems that do not offer what the row measures. */
  readonly notFor: readonly SystemName[];
  readonly target?: TargetSpec;
  readonly stretch?: TargetSpec;
}

/** Redis has no replication to fail over, no elections, no sessions. */
const NOT_REDIS: readonly SystemName[] = ['redis'];

function num(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/** Baton ≥ factor × each named peer that ran (null if none ran). */
function atLeastTimes(factors: Partial<Record<SystemName, number>>): TargetSpec['check'] {
  return (v) => {
    const b = num(v.baton);
    if (b === null) return null;
    let judged = false;
    for (const [peer, factor] of Object.entries(factors) as [SystemName, number][]) {
      const p = num(v[peer]);
      if (p === null) continue;
      judged = true;
      if (b < factor * p) return false;
    }
    return judged ? true : null;
  };
}

function atMost(limit: number): TargetSpec['check'] {
  return (v) => {
    const b = num(v.baton);
    return b === null ? null : b <= limit;
  };
}

const fmtCount = (n: number): string => n.toLocaleString('en-US');

export function rowSpecs(plan: BenchPlan, takeoverTtlMs: number | null): RowSpec[] {
  const rows: RowSpec[] = [];
  for (const w of plan.independentWorkers) {
    const who = `${w} worker${w === 1 ? '' : 's'}`;
    rows.push({
      id: `independent.${w}.cyclesPerSec`,
      workload: 'independent',
      label: `W1 independent locks, ${who}: cycles`,
      unit: '/s',
      better: 'higher',
      notFor: [],
      ...(w === 32
        ? {
            target: { text: '≥5× etcd, ≥3× ZooKeeper', check: atLeastTimes({ etcd: 5, zookeeper: 3 }) },
            stretch: { text: '≥⅓ Redis', check: atLeastTimes({ redis: 1 / 3 }) },
          }
        : {}),
    });
    rows.push({
      id: `independent.${w}.acquireP50Ms`,
      workload: 'independent',
      label: `W1 independent locks, ${who}: acquire p50`,
      unit: 'ms',
      better: 'lower',
      notFor: [],
      ...(w === 1
        ? {
            target: {
              text: '≤0.5× best peer',
              check: (v: Values) => {
                const b = num(v.baton);
                const peers = [num(v.etcd), num(v.zookeeper)].filter((x): x is number => x !== null);
                return b === null || peers.length === 0 ? null : b <= 0.5 * Math.min(...peers);
              },
            },
          }
        : {}),
    });
    rows.push({
      id: `independent.${w}.acquireP99Ms`,
      workload: 'independent',
      label: `W1 independent locks, ${who}: acquire p99`,
      unit: 'ms',
      better: 'lower',
      notFor: [],
    });
  }
  const c = plan.contentionWorkers;
  rows.push(
    {
      id: 'contention.handoffsPerSec',
      workload: 'contention',
      label: `W2 contention, ${c} workers on 1 lock: handoffs`,
      unit: '/s',
      better: 'higher',
      notFor: [],
      target: { text: '≥10× etcd, ≥2× ZooKeeper', check: atLeastTimes({ etcd: 10, zookeeper: 2 }) },
    },
    {
      id: 'contention.acquireP50Ms',
      workload: 'contention',
      label: 'W2 contention: acquire p50 (queueing included)',
      unit: 'ms',
      better: 'lower',
      notFor: [],
    },
    {
      id: 'contention.acquireP99Ms',
      workload: 'contention',
      label: 'W2 contention: acquire p99',
      unit: 'ms',
      better: 'lower',
      notFor: [],
    },
    {
      id: 'contention.fifoOvertakes',
      workload: 'contention',
      label: 'W2 contention: FIFO overtakes (0 = FIFO)',
      unit: 'count',
      better: 'lower',
      notFor: [],
      target: { text: '0', check: atMost(0) },
    },
    {
      id: 'failover.gapP50Ms',
      workload: 'failover',
      label: `W3 failover, leader SIGKILLed (${plan.failoverTrials}×): write gap p50`,
      unit: 'ms',
      better: 'lower',
      notFor: NOT_REDIS,
    },
    {
      id: 'failover.gapMaxMs',
      workload: 'failover',
      label: 'W3 failover: write gap max',
      unit: 'ms',
      better: 'lower',
      notFor: NOT_REDIS,
      target: { text: '≤500 ms', check: atMost(500) },
    },
    {
      id: 'steady.leaderChanges',
      workload: 'failover',
      label: 'W3 leader changes during W1, W2, W4, W5 (none expected)',
      unit: 'count',
      better: 'lower',
      notFor: NOT_REDIS,
      target: { text: '0', check: atMost(0) },
    },
    {
      id: 'election.handoffP50Ms',
      workload: 'election',
      label: 'W4 election: resign → next elected, p50',
      unit: 'ms',
      better: 'lower',
      notFor: NOT_REDIS,
      target: { text: '≤1 ms', check: atMost(1) },
    },
    {
      id: 'election.handoffP99Ms',
      workload: 'election',
      label: 'W4 election: resign → next elected, p99',
      unit: 'ms',
      better: 'lower',
      notFor: NOT_REDIS,
    },
    {
      id: 'takeover.ttlMs',
      workload: 'takeover',
      label: 'W5 crash takeover: TTL used (smallest accepted)',
      unit: 'ms',
      better: null,
      notFor: [],
    },
    {
      id: 'takeover.p50Ms',
      workload: 'takeover',
      label: `W5 crash takeover, holder SIGKILLed (${plan.takeoverTrials}×): p50`,
      unit: 'ms',
      better: 'lower',
      notFor: [],
    },
    {
      id: 'takeover.maxMs',
      workload: 'takeover',
      label: 'W5 crash takeover: max',
      unit: 'ms',
      better: 'lower',
      notFor: [],
      ...(takeoverTtlMs === null
        ? {}
        : { target: { text: `≤TTL+150 ms (${takeoverTtlMs + 150})`, check: atMost(takeoverTtlMs + 150) } }),
    },
  );
  for (const n of plan.idleSessionCounts) {
    rows.push(
      {
        id: `sessions.${n}.cpuPct`,
        workload: 'sessions',
        label: `W6 ${fmtCount(n)} idle sessions: servers' CPU (all nodes)`,
        unit: '% core',
        better: 'lower',
        notFor: NOT_REDIS,
        ...(n === 10_000 ? { target: { text: '<25% of one core', check: atMost(25) } } : {}),
      },
      {
        id: `sessions.${n}.rssMb`,
        workload: 'sessions',
        label: `W6 ${fmtCount(n)} idle sessions: servers' RSS (all nodes)`,
        unit: 'MB',
        better: 'lower',
        notFor: NOT_REDIS,
      },
    );
  }
  rows.push({
    id: 'memory.rssMbPerNode',
    workload: 'memory',
    label: `W7 ${fmtCount(plan.heldLocks)} held locks: RSS of the largest node`,
    unit: 'MB',
    better: 'lower',
    notFor: [],
    ...(plan.heldLocks === 100_000 ? { target: { text: '<300 MB', check: atMost(300) } } : {}),
  });
  return rows;
}
