/**
 * Steady SDK load while the cluster changes: each worker holds its own session and loops
 * acquire → release on its own lock. The SDK retries NOT_LEADER and UNAVAILABLE within its
 * request timeout; whatever still fails is counted by code, which is what the tests assert on.
 */
import { type BatonClient, isBatonError } from '@baton/sdk';

/** Every loop is bounded, also when stop() is never called. */
const MAX_ITERATIONS = 100_000;

export class LoadWorker {
  ops = 0;
  readonly failures: string[] = [];
  /** Grant tokens in order: they must strictly increase (one lock per worker). */
  readonly tokens: number[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    readonly client: BatonClient,
    readonly lockName: string,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const session = await this.client.session({ ttlMs: 10_000 });
    for (let i = 0; i < MAX_ITERATIONS && !this.stopped; i++) {
      try {
        const lock = await session.acquire(this.lockName, { timeoutMs: 20_000 });
        this.tokens.push(lock.token);
        await lock.release();
        this.ops += 1;
      } catch (err) {
        this.failures.push(isBatonError(err) ? `${err.code}: ${err.message}` : String(err));
        if (session.state !== 'open') break;
      }
    }
    await session.close().catch(() => {});
  }
}

/** Ops done by all workers so far. */
export function totalOps(workers: readonly LoadWorker[]): number {
  return workers.reduce((n, w) => n + w.ops, 0);
}
