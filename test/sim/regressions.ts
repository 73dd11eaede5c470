import type { SimMode } from './run.js';

/**
 * Every seed that ever failed, kept as a permanent test. A seed replays the same run only while
 * the simulator draws its randomness in the same order, so each entry also says what it found:
 * the lasting guard for that bug is the unit or golden test named beside it.
 */
export interface RegressionSeed {
  readonly seed: number;
  readonly mode: SimMode;
  readonly nodes: number;
  readonly durationMs: number;
  readonly found: string;
}

export const REGRESSION_SEEDS: readonly RegressionSeed[] = [
  {
    seed: 134,
    mode: 'safety',
    nodes: 3,
    durationMs: 60_000,
    found:
      'election safety: a member added after bootstrap never learned the initial configuration (it lived ' +
      'outside the log), believed itself the only voter and led term 5 beside another leader. Fixed by ' +
      'bootstrapLog(); guarded by server/src/raft/testdata/bootstrap.txt.',
  },
  {
    seed: 224,
    mode: 'safety',
    nodes: 3,
    durationMs: 60_000,
    found: 'leader completeness, same cause as seed 134 (a lone self-elected joiner overwrote committed entries).',
  },
  {
    seed: 74,
    mode: 'liveness',
    nodes: 3,
    durationMs: 60_000,
    found: 'simulator: the liveness core was chosen from running nodes only, and found none when all had crashed.',
  },
  {
    seed: 278,
    mode: 'liveness',
    nodes: 3,
    durationMs: 60_000,
    found:
      'simulator: the core was a quorum of the applied configuration while an addVoter already in the log ' +
      'committed after the heal; the core is now a quorum of every configuration that can still take effect.',
  },
  {
    seed: 93,
    mode: 'liveness',
    nodes: 5,
    durationMs: 60_000,
    found: 'simulator: a crash planned for a new leader before the heal still fired in the liveness phase.',
  },
  {
    seed: 541,
    mode: 'liveness',
    nodes: 5,
    durationMs: 60_000,
    found:
      'simulator: the Cloudflare node was cut from a leader its followers had not heard for a while, won, and ' +
      'left the old leader cut off; the cut now waits until the core leader is settled.',
  },
  {
    seed: 111,
    mode: 'liveness',
    nodes: 5,
    durationMs: 60_000,
    found: 'simulator: a deaf non-core leader counted as the core leader; the core leader must be a core member.',
  },
  {
    seed: 1490,
    mode: 'liveness',
    nodes: 3,
    durationMs: 60_000,
    found:
      'simulator: packets already on a link when it was cut still arrived, so a cut-off leader kept the core ' +
      'loyal for seconds; a cut link now loses what is on it.',
  },
  {
    seed: 2349,
    mode: 'liveness',
    nodes: 5,
    durationMs: 60_000,
    found:
      'core: a pre-candidate that caught up on the term counted a refusal from its previous round in the ' +
      'new one and never won; refusals now echo the term asked for (rejectHint).',
  },
  {
    seed: 2768,
    mode: 'liveness',
    nodes: 3,
    durationMs: 60_000,
    found:
      'simulator: the stale leader the core still followed at the heal stepped down (CheckQuorum) a moment ' +
      'later; a core leader now counts once it has held the core for one election timeout.',
  },
  {
    seed: 4742,
    mode: 'liveness',
    nodes: 3,
    durationMs: 60_000,
    found:
      "simulator: the core was sized from the most advanced node's configuration while a core member still " +
      'counted votes with an older one (a committed removal it had not applied); the core now satisfies every ' +
      "member's view.",
  },
  {
    seed: 387,
    mode: 'liveness',
    nodes: 5,
    durationMs: 60_000,
    found: "simulator: the members' views differed too much for a partial core; all voters then form the core.",
  },
  {
    seed: 6785,
    mode: 'liveness',
    nodes: 5,
    durationMs: 60_000,
    found:
      'simulator: a split vote (two core members restarted together and campaigned in the same term) cost a ' +
      'second randomized timeout; the liveness budget now adds 2 election timeouts per split vote.',
  },
  {
    seed: 9442,
    mode: 'liveness',
    nodes: 3,
    durationMs: 60_000,
    found:
      'simulator: the all-voters fallback core kept a voter whose removal was already in the log; it left ' +
      'the configuration after the heal and could never follow the new leader.',
  },
  {
    seed: 376,
    mode: 'liveness',
    nodes: 3,
    durationMs: 60_000,
    found: 'simulator: as seed 278, with a pending removeNode of a core member.',
  },
];
