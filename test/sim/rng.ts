import type { Rng } from '@baton/server/raft';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** The simulator's only source of randomness: everything in a run derives from one seed. */
export class SimRng implements Rng {
  private readonly gen: ReturnType<typeof xoroshiro128plus>;

  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
  }

  nextInt(minInclusive: number, maxExclusive: number): number {
    if (maxExclusive - minInclusive <= 1) return minInclusive;
    return uniformInt(this.gen, minInclusive, maxExclusive - 1);
  }

  float(): number {
    return uniformFloat64(this.gen);
  }

  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.nextInt(0, items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.nextInt(0, i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** A child generator, so that adding draws in one place does not perturb another. */
  fork(): SimRng {
    return new SimRng(this.nextInt(0, 0x7fffffff));
  }
}
