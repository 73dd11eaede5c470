import { describe, expect, it } from 'vitest';
import type { MemberProgress } from '../raft/rawnode.js';
import { rankTransferTargets } from './handoff.js';

const p = (id: number, match: number, ticksSinceAck: number, isLearner = false): MemberProgress => ({
  id,
  match,
  ticksSinceAck,
  isLearner,
  state: 'replicate',
});

describe('rankTransferTargets', () => {
  it('the most up-to-date live voter first; never the leader, a learner or a silent member', () => {
    const progress = [
      p(1, 100, 0), // the leader
      p(2, 90, 1),
      p(3, 100, 11), // up to date but silent for more than an election timeout
      p(4, 100, 2, true), // a learner
      p(5, 95, 3),
      p(6, 95, 1),
      p(7, 40, 0),
    ];
    expect(rankTransferTargets(progress, 1, 10)).toEqual([6, 5, 2, 7]);
  });

  it('is empty when nobody else can take over', () => {
    expect(rankTransferTargets([p(1, 5, 0), p(2, 5, Number.POSITIVE_INFINITY)], 1, 10)).toEqual([]);
  });
});
