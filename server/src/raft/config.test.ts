/**
 * Unit and property tests for resolveConfig: the defaults, and each validation failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RaftConfig, resolveConfig } from './config.js';
import { MemoryStorage, RaftInvariantError } from './storage.js';

const FC = { seed: 42, numRuns: 200 } as const;
const storage = new MemoryStorage();
const rng = { nextInt: (lo: number) => lo };
const base: RaftConfig = { id: 1, storage, rng };

function failure(c: Partial<RaftConfig>): unknown {
  try {
    resolveConfig({ ...base, ...c });
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('resolveConfig', () => {
  it('fills in the defaults', () => {
    expect(resolveConfig(base)).toEqual({
      id: 1,
      storage,
      rng,
      electionTimeoutTicks: 10,
      electionJitterTicks: 10,
      heartbeatTicks: 1,
      applied: 0,
      maxSizePerMsgBytes: 1 << 20,
      maxInflightMsgs: 256,
      maxApplyBytesPerReady: 64 << 20,
      maxUncommittedBytes: 64 << 20,
      checkQuorum: true,
      preVote: true,
      readOnlyOption: 'safe',
      leaseDriftTicks: 2,
      snapshotTimeoutTicks: 100,
      eagerCommitPropagation: false,
    });
  });

  it('derives the election jitter from the election timeout unless it is given', () => {
    expect(resolveConfig({ ...base, electionTimeoutTicks: 12 }).electionJitterTicks).toBe(12);
    expect(resolveConfig({ ...base, electionTimeoutTicks: 12, electionJitterTicks: 4 }).electionJitterTicks).toBe(4);
    for (const electionJitterTicks of [0, -1, 1.5]) {
      expect(failure({ electionJitterTicks })).toBeInstanceOf(RaftInvariantError);
    }
  });

  it('keeps the storage and rng it was given, by reference', () => {
    const r = resolveConfig(base);
    expect(r.storage).toBe(storage);
    expect(r.rng).toBe(rng);
  });

  it('derives the snapshot timeout from the election timeout unless it is given', () => {
    expect(resolveConfig({ ...base, electionTimeoutTicks: 20 }).snapshotTimeoutTicks).toBe(200);
    expect(resolveConfig({ ...base, electionTimeoutTicks: 20, snapshotTimeoutTicks: 21 }).snapshotTimeoutTicks).toBe(
      21,
    );
  });

  it('keeps every valid setting it is given', () => {
    const arb = fc
      .record({
        id: fc.integer({ min: 1, max: 2 ** 31 }),
        heartbeatTicks: fc.integer({ min: 1, max: 10 }),
        extraElection: fc.integer({ min: 1, max: 50 }),
        applied: fc.nat(),
        maxSizePerMsgBytes: fc.integer({ min: 1, max: 1 << 24 }),
        maxInflightMsgs: fc.integer({ min: 1, max: 1024 }),
        maxApplyBytesPerReady: fc.integer({ min: 1, max: 1 << 28 }),
        maxUncommittedBytes: fc.integer({ min: 1, max: 1 << 28 }),
        checkQuorum: fc.boolean(),
        preVote: fc.boolean(),
        lease: fc.boolean(),
        drift: fc.nat(),
        extraSnapshot: fc.integer({ min: 1, max: 100 }),
        eagerCommitPropagation: fc.boolean(),
        electionJitterTicks: fc.integer({ min: 1, max: 100 }),
      })
      .map(({ extraElection, lease, drift, extraSnapshot, ...r }) => {
        const electionTimeoutTicks = r.heartbeatTicks + extraElection;
        return {
          ...r,
          electionTimeoutTicks,
          readOnlyOption: lease && r.checkQuorum ? ('lease' as const) : ('safe' as const),
          leaseDriftTicks: 1 + (drift % (electionTimeoutTicks - 1)),
          snapshotTimeoutTicks: electionTimeoutTicks + extraSnapshot,
        };
      });
    fc.assert(
      fc.property(arb, (c) => {
        expect(resolveConfig({ ...c, storage, rng })).toEqual({ ...c, storage, rng });
      }),
      FC,
    );
  });

  it('rejects an id that is not a positive integer', () => {
    for (const id of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const err = failure({ id });
      expect(err, `id ${id}`).toBeInstanceOf(RaftInvariantError);
      expect((err as Error).message).toMatch(/node id must be a positive integer/);
    }
  });

  it('rejects heartbeatTicks <= 0', () => {
    for (const heartbeatTicks of [0, -1, Number.NaN]) {
      expect(failure({ heartbeatTicks })).toBeInstanceOf(RaftInvariantError);
      expect((failure({ heartbeatTicks }) as Error).message).toMatch(/heartbeatTicks must be > 0/);
    }
  });

  it('rejects electionTimeoutTicks <= heartbeatTicks', () => {
    for (const [electionTimeoutTicks, heartbeatTicks] of [
      [5, 5],
      [4, 5],
    ] as const) {
      const err = failure({ electionTimeoutTicks, heartbeatTicks, leaseDriftTicks: 1 });
      expect(err).toBeInstanceOf(RaftInvariantError);
      expect((err as Error).message).toMatch(/electionTimeoutTicks must be > heartbeatTicks/);
    }
    expect(failure({ electionTimeoutTicks: 6, heartbeatTicks: 5 })).toBeUndefined();
  });

  it('rejects maxInflightMsgs <= 0 and maxSizePerMsgBytes <= 0', () => {
    expect((failure({ maxInflightMsgs: 0 }) as Error).message).toMatch(/maxInflightMsgs must be > 0/);
    expect(failure({ maxInflightMsgs: 0 })).toBeInstanceOf(RaftInvariantError);
    expect((failure({ maxSizePerMsgBytes: 0 }) as Error).message).toMatch(/maxSizePerMsgBytes must be > 0/);
    expect(failure({ maxSizePerMsgBytes: -5 })).toBeInstanceOf(RaftInvariantError);
    expect(failure({ maxInflightMsgs: 1, maxSizePerMsgBytes: 1 })).toBeUndefined();
  });

  it('rejects leaseDriftTicks outside [1, electionTimeoutTicks)', () => {
    for (const leaseDriftTicks of [0, -1, 10, 11]) {
      const err = failure({ leaseDriftTicks });
      expect(err, `leaseDriftTicks ${leaseDriftTicks}`).toBeInstanceOf(RaftInvariantError);
      expect((err as Error).message).toMatch(/leaseDriftTicks must be in \[1, electionTimeoutTicks\)/);
    }
    expect(failure({ leaseDriftTicks: 1 })).toBeUndefined();
    expect(failure({ leaseDriftTicks: 9 })).toBeUndefined();
    // the default drift (2) needs an election timeout of at least 3 ticks
    expect(failure({ electionTimeoutTicks: 2 })).toBeInstanceOf(RaftInvariantError);
    expect(failure({ electionTimeoutTicks: 3 })).toBeUndefined();
  });

  it('rejects lease reads without CheckQuorum', () => {
    const err = failure({ readOnlyOption: 'lease', checkQuorum: false });
    expect(err).toBeInstanceOf(RaftInvariantError);
    expect((err as Error).message).toMatch(/lease reads require checkQuorum/);
    expect(failure({ readOnlyOption: 'lease' })).toBeUndefined();
    expect(failure({ readOnlyOption: 'safe', checkQuorum: false })).toBeUndefined();
  });

  it('rejects snapshotTimeoutTicks <= electionTimeoutTicks', () => {
    for (const snapshotTimeoutTicks of [10, 9, 0]) {
      const err = failure({ snapshotTimeoutTicks });
      expect(err).toBeInstanceOf(RaftInvariantError);
      expect((err as Error).message).toMatch(/snapshotTimeoutTicks must be > electionTimeoutTicks/);
    }
    expect(failure({ snapshotTimeoutTicks: 11 })).toBeUndefined();
  });

  // Guards a fixed bug: resolveConfig spreads the caller's object over the defaults (`{ ...defaults, ...c }`), so
  // an option present with the value `undefined` (which the optional fields' types allow, since
  // exactOptionalPropertyTypes is off) replaces its default. `checkQuorum: undefined` or
  // `preVote: undefined` silently turn CheckQuorum / PreVote off, `maxApplyBytesPerReady:
  // undefined` makes the apply bound vanish (size > undefined is never true), and
  // `heartbeatTicks: undefined` fails with a misleading "heartbeatTicks must be > 0". A driver
  // that forwards its own optional settings (`{ checkQuorum: opts.checkQuorum, ... }`) hits it.
  // The fix: drop undefined fields before the spread, e.g.
  //   const given = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as RaftConfig;
  //   const r: ResolvedRaftConfig = { ...defaults, snapshotTimeoutTicks: 10 * (given.electionTimeoutTicks ?? 10), ...given };
  it('an option given as undefined takes its default', () => {
    const r = resolveConfig({
      ...base,
      checkQuorum: undefined,
      preVote: undefined,
      maxApplyBytesPerReady: undefined,
      readOnlyOption: undefined,
    });
    expect(r.checkQuorum).toBe(true);
    expect(r.preVote).toBe(true);
    expect(r.maxApplyBytesPerReady).toBe(64 << 20);
    expect(r.readOnlyOption).toBe('safe');
  });
});
