/**
 * `/readyz`: is this node a useful member right now? Ready means all of: storage healthy; a
 * member of the current configuration; a leader known; and this node's applied index reached the
 * leader's commit index within `catchUpTimeoutMs`. The last one is a ReadIndex round (Raft
 * thesis §6.4): the leader confirms it still leads and names its commit index, and the read
 * resolves once this node has applied up to it — exactly "caught up with the leader". A
 * partitioned node cannot get that answer, and a lagging one does not apply in time.
 *
 * Concurrent probes share one check, so a probe storm costs one heartbeat round.
 */
import type { Coordinator } from '../node/coordinator.js';

export interface ReadyAnswer {
  readonly ready: boolean;
  /** Why not, or what was checked. */
  readonly detail: string;
}

export interface ReadinessOptions {
  readonly coordinator: Coordinator;
  readonly storageFailed: () => Error | null;
  readonly leaderName: (id: number) => string | null;
  /** How long this node may take to apply up to the leader's commit index. */
  readonly catchUpTimeoutMs: number;
  /** Why this node was removed from the cluster (admin/removal.ts), or null. */
  readonly removed?: () => string | null;
}

export class Readiness {
  private inflight: Promise<ReadyAnswer> | null = null;

  constructor(private readonly opts: ReadinessOptions) {}

  check(): Promise<ReadyAnswer> {
    this.inflight ??= this.run().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async run(): Promise<ReadyAnswer> {
    const { coordinator } = this.opts;
    const failed = this.opts.storageFailed();
    if (failed !== null) return { ready: false, detail: `storage failed: ${failed.message}` };
    const removed = this.opts.removed?.() ?? null;
    if (removed !== null) return { ready: false, detail: `removed from the cluster: ${removed}` };
    const st = coordinator.node.status();
    const self = coordinator.node.id;
    if (!st.confState.voters.includes(self) && !st.confState.learners.includes(self)) {
      // a joiner (--initial-cluster-state existing) before the leader added it and sent it the log
      return { ready: false, detail: 'not a member of the current configuration' };
    }
    if (coordinator.leaderId === 0) return { ready: false, detail: 'no leader known' };
    const caughtUp = await this.caughtUp();
    if (caughtUp !== null) return { ready: false, detail: caughtUp };
    const leader = this.opts.leaderName(coordinator.leaderId) ?? String(coordinator.leaderId);
    return {
      ready: true,
      detail: `leader ${leader}, applied index ${coordinator.node.applied} covers the leader's commit index`,
    };
  }

  /** null when caught up, else why not. */
  private async caughtUp(): Promise<string | null> {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(
        () =>
          resolve(
            `not caught up: applied index did not reach the leader's commit index within ${this.opts.catchUpTimeoutMs} ms`,
          ),
        this.opts.catchUpTimeoutMs,
      );
    });
    const read = this.opts.coordinator.node.linearizableRead().then(
      () => null,
      (err: unknown) => `leader's commit index unavailable: ${err instanceof Error ? err.message : String(err)}`,
    );
    try {
      return await Promise.race([read, timeout]);
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  }
}
