import { type Message, Raft, type RaftFactory } from '@baton/server/raft';

/**
 * Deliberately broken variants of the core. Each breaks one rule the Raft paper states; the
 * simulator's checkers must catch every one of them within a bounded number of seeds, which is
 * how we know the checkers can fail at all.
 */

/** Raft §5.2 broken: grants a vote to every candidate, even after voting in this term. */
class VotesTwice extends Raft {
  protected override canGrantVote(m: Message): boolean {
    return m.type === 'vote' || super.canGrantVote(m);
  }
}

/** Raft §5.4.2 / figure 8 broken: commits entries of earlier terms by counting replicas. */
class CommitsPreviousTermByCounting extends Raft {
  protected override canCommitByCounting(_index: number): boolean {
    return true;
  }
}

/** Raft §5.4.1 broken: votes for candidates whose log is behind its own. */
class SkipsUpToDateCheck extends Raft {
  protected override candidateLogIsUpToDate(_m: Message): boolean {
    return true;
  }
}

/** Thesis §6.4.1 broken: serves lease reads without a quorum's recent acknowledgment. */
class LeaseWithoutQuorum extends Raft {
  override leaseValid(): boolean {
    return this.role === 'leader' && this.committedInCurrentTerm();
  }
}

export interface BrokenVariant {
  readonly name: string;
  readonly factory: RaftFactory;
  /** The read mode that exposes it. */
  readonly readOnlyOption?: 'safe' | 'lease';
  /** Which checker is expected to catch it. */
  readonly expect: RegExp;
}

export const BROKEN_VARIANTS: readonly BrokenVariant[] = [
  { name: 'votes twice in a term', factory: (c) => new VotesTwice(c), expect: /voted twice|election safety/ },
  {
    name: 'commits a previous-term entry by counting',
    factory: (c) => new CommitsPreviousTermByCounting(c),
    expect: /leader completeness|state machine safety/,
  },
  {
    name: 'skips the log up-to-date check',
    factory: (c) => new SkipsUpToDateCheck(c),
    expect: /leader completeness|state machine safety/,
  },
  {
    name: 'serves lease reads without a quorum',
    factory: (c) => new LeaseWithoutQuorum(c),
    readOnlyOption: 'lease',
    expect: /linearizable read/,
  },
];
