import { describe, expect, it } from 'vitest';
import { FULL_PLAN, QUICK_PLAN } from '../plan.js';
import { rowSpecs } from './rows.js';

const spec = (id: string, ttl: number | null = 1_000) => {
  const s = rowSpecs(FULL_PLAN, ttl).find((r) => r.id === id);
  if (s === undefined) throw new Error(`no row ${id}`);
  return s;
};

describe('rows and targets', () => {
  it('judges "≥5× etcd, ≥3× ZooKeeper" against the peers that ran, and not at all without them', () => {
    const t = spec('independent.32.cyclesPerSec').target;
    expect(t?.check({ baton: 5_000, etcd: 1_000, zookeeper: 1_400 })).toBe(true);
    expect(t?.check({ baton: 4_000, etcd: 1_000, zookeeper: 1_000 })).toBe(false);
    expect(t?.check({ baton: 5_000, etcd: 1_000, zookeeper: null })).toBe(true);
    expect(t?.check({ baton: 5_000, etcd: null, zookeeper: null })).toBeNull();
    expect(t?.check({ baton: null, etcd: 1, zookeeper: 1 })).toBeNull();
  });

  it('compares 1-worker p50 with the best of etcd and ZooKeeper (Redis is the reference, not a peer)', () => {
    const t = spec('independent.1.acquireP50Ms').target;
    expect(t?.check({ baton: 0.55, etcd: 1.4, zookeeper: 1.1, redis: 0.2 })).toBe(true);
    expect(t?.check({ baton: 0.6, etcd: 1.4, zookeeper: 1.1 })).toBe(false);
  });

  it('puts the takeover target at TTL + 150 ms of the TTL Baton used', () => {
    expect(spec('takeover.maxMs', 1_000).target?.check({ baton: 1_150 })).toBe(true);
    expect(spec('takeover.maxMs', 1_000).target?.check({ baton: 1_151 })).toBe(false);
    expect(spec('takeover.maxMs', null).target).toBeUndefined();
  });

  it('has rows for every planned worker and session count, and marks what Redis does not offer', () => {
    const ids = rowSpecs(QUICK_PLAN, null).map((r) => r.id);
    for (const w of QUICK_PLAN.independentWorkers) expect(ids).toContain(`independent.${w}.cyclesPerSec`);
    for (const n of QUICK_PLAN.idleSessionCounts) expect(ids).toContain(`sessions.${n}.cpuPct`);
    expect(spec('failover.gapMaxMs').notFor).toEqual(['redis']);
    expect(spec('contention.fifoOvertakes').notFor).toEqual([]);
    // targets that name a size apply only at that size
    expect(rowSpecs(QUICK_PLAN, null).find((r) => r.id === 'memory.rssMbPerNode')?.target).toBeUndefined();
  });
});
