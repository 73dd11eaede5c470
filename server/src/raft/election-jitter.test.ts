/**
 * The randomized election timeout: a follower campaigns after T + rng[0, electionJitterTicks)
 * ticks of silence. The jitter defaults to T (Raft's [T, 2T)); the node narrows it so that the
 * worst failover is shorter without lowering T, the pause a leader survives.
 */
import { describe, expect, it } from 'vitest';
import type { Rng } from './config.js';
import { RawNode } from './rawnode.js';
import { bootstrappedStorage } from './settle.testing.js';

/** An rng that always draws `pick(lo, hi)` and records every range it was asked for. */
function recordingRng(pick: (lo: number, hi: number) => number): Rng & { ranges: [number, number][] } {
  const ranges: [number, number][] = [];
  return {
    ranges,
    nextInt(lo, hi) {
      ranges.push([lo, hi]);
      return pick(lo, hi);
    },
  };
}

/** Ticks a fresh follower of a 3-voter cluster until it starts a (pre-)vote; bounded. */
function ticksUntilCampaign(rng: Rng, electionTimeoutTicks: number, electionJitterTicks?: number): number {
  const storage = bootstrappedStorage([1, 2, 3]);
  const raw = new RawNode({ id: 1, storage, rng, electionTimeoutTicks, electionJitterTicks, heartbeatTicks: 1 });
  // apply the bootstrap configuration first: a node campaigns only once it knows it is a voter
  while (raw.hasReady()) {
    const rd = raw.ready();
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    raw.advance();
  }
  for (let t = 1; t <= 1_000; t++) {
    raw.tick();
    if (raw.status().softState.role !== 'follower') return t;
  }
  throw new Error('no campaign within 1,000 ticks');
}

describe('randomized election timeout', () => {
  it('draws from [T, T + electionJitterTicks)', () => {
    const low = recordingRng((lo) => lo);
    expect(ticksUntilCampaign(low, 12, 4)).toBe(12);
    expect(low.ranges.at(-1)).toEqual([0, 4]);
    const high = recordingRng((_, hi) => hi - 1);
    expect(ticksUntilCampaign(high, 12, 4)).toBe(15);
  });

  it('defaults to Raft’s [T, 2T)', () => {
    const high = recordingRng((_, hi) => hi - 1);
    expect(ticksUntilCampaign(high, 10)).toBe(19);
    expect(high.ranges.at(-1)).toEqual([0, 10]);
  });
});
