/**
 * The workload: which names exist and what a lane does next, drawn from the lane's own seeded
 * generator. A few names so that lanes contend: two fenced lock-set locks (Jepsen's lock-set,
 * through the fenced store), a plain lock checked with fenceCheck, two semaphores, one election.
 * Holds are short (under a keepalive interval) or long (over one, sometimes over the TTL), so
 * keepalives must carry them. No lock-delay: the lock model does not know it.
 */
import type { SimRng } from '../../sim/rng.js';
import type { Task } from '../worker/protocol.js';

export const FENCED_LOCKS = ['set/a', 'set/b'] as const;
export const PLAIN_LOCK = 'lock/c';
export const SEMAPHORES = [
  { name: 'sem/d', limit: 2 },
  { name: 'sem/e', limit: 3 },
] as const;
export const ELECTION = 'elect/f';
export const ALL_NAMES: readonly string[] = [...FENCED_LOCKS, PLAIN_LOCK, ...SEMAPHORES.map((s) => s.name), ELECTION];
/** Names held by one holder at a time (the handover check applies to them). */
export const EXCLUSIVE_NAMES: readonly string[] = [...FENCED_LOCKS, PLAIN_LOCK, ELECTION];

export interface WorkloadTimings {
  /** Short holds: up to this long. */
  readonly shortHoldMaxMs: number;
  /** Long holds: between these. */
  readonly longHoldMinMs: number;
  readonly longHoldMaxMs: number;
  /** A waiting acquire/campaign gives up after between these. */
  readonly waitMinMs: number;
  readonly waitMaxMs: number;
}

const KINDS: readonly (readonly [Task['kind'], number])[] = [
  ['lockSet', 35],
  ['lock', 15],
  ['semaphore', 20],
  ['election', 15],
  ['read', 15],
];
const LONG_HOLD_CHANCE = 0.3;
const TRY_CHANCE = 0.25;

export class TaskSource {
  private counter = 0;

  constructor(
    private readonly rng: SimRng,
    private readonly lane: string,
    private readonly timings: WorkloadTimings,
    /** The newest token seen granted on a name (for fenceCheck reads). */
    private readonly newestToken: (name: string) => number,
  ) {}

  next(): Task {
    const n = ++this.counter;
    const kind = weighted(this.rng, KINDS);
    switch (kind) {
      case 'lockSet':
        return {
          kind,
          name: this.rng.pick(FENCED_LOCKS),
          wait: !this.rng.chance(TRY_CHANCE),
          timeoutMs: this.waitMs(),
          holdMs: this.holdMs(),
          element: `${this.lane}#${n}`,
        };
      case 'lock':
        return {
          kind,
          name: PLAIN_LOCK,
          wait: !this.rng.chance(TRY_CHANCE),
          timeoutMs: this.waitMs(),
          holdMs: this.holdMs(),
          fenceChecks: this.rng.nextInt(0, 3),
        };
      case 'semaphore': {
        const sem = this.rng.pick(SEMAPHORES);
        return { kind, name: sem.name, limit: sem.limit, timeoutMs: this.waitMs(), holdMs: this.holdMs() };
      }
      case 'election':
        return {
          kind,
          name: ELECTION,
          value: `${this.lane}#${n}`,
          timeoutMs: this.waitMs(),
          holdMs: this.holdMs(),
          proclaims: Array.from({ length: this.rng.nextInt(0, 3) }, (_, i) => `${this.lane}#${n}.${i + 1}`),
        };
      case 'read': {
        const what = this.rng.pick(['describe', 'leader', 'fenceCheck'] as const);
        const name = what === 'leader' ? ELECTION : this.rng.pick(ALL_NAMES);
        return { kind, what, name, token: Math.max(1, this.newestToken(name)) };
      }
      default:
        throw new Error(`unknown task kind ${kind}`);
    }
  }

  private holdMs(): number {
    const t = this.timings;
    return this.rng.chance(LONG_HOLD_CHANCE)
      ? this.rng.nextInt(t.longHoldMinMs, t.longHoldMaxMs + 1)
      : this.rng.nextInt(0, t.shortHoldMaxMs + 1);
  }

  private waitMs(): number {
    return this.rng.nextInt(this.timings.waitMinMs, this.timings.waitMaxMs + 1);
  }
}

function weighted<T>(rng: SimRng, table: readonly (readonly [T, number])[]): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = rng.nextInt(0, total);
  for (const [v, w] of table) {
    if (x < w) return v;
    x -= w;
  }
  return table[0]![0];
}
