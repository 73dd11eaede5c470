/**
 * Noticing that this node was removed from the cluster (`admin.members.remove`), so that it does
 * not run on as if it were a member: it stops its Raft loop (no more campaigns), says so in its
 * log, in `/v1/status` (`removed`) and in `/readyz` (503), and the process exits with
 * EXIT_REMOVED after REMOVED_EXIT_GRACE_MS (bin/baton-server.ts), as etcd's removed member does.
 *
 * Exiting is safe: the committed configuration no longer counts this node, so no quorum waits
 * for it, it leads nothing (a removed leader steps down, thesis §4.2.2), and its data belongs to
 * no configuration any more. It must not be restarted with that data (systemd:
 * RestartPreventExitStatus); to come back it is added again with an empty data directory.
 *
 * Two ways to learn it:
 * - **applied**: this node applied the configuration without itself, having been in one before
 *   (a joiner that is still catching up has never been in one, and is not taken for removed);
 * - **told**: the leader stops replicating to a removed node once the removal is applied, often
 *   before this node learned it was committed. So while no leader is known, this node asks the
 *   other members for `/v1/status`. A member whose applied index is at least this node's, and
 *   whose configuration lacks this node, proves a removal: this node's own configuration (which
 *   holds it) comes from entries at or below its applied index, every member applies the same
 *   entries in the same order, so a later entry — committed, since that member applied it —
 *   removed this node. A lagging or partitioned member cannot prove it (its applied index is
 *   lower, or it still lists this node), so a partition never makes a healthy member exit; nor
 *   can a node of another cluster (`clusterId`) or one answering under another name.
 */
import type { NodeStatusView } from '../http/node-status.js';
import type { Logger } from '../node/logger.js';
import type { Member } from '../node/members.js';
import type { ConfState, NodeId } from '../raft/types.js';

/** The process exit code of a removed member: a supervisor must not restart it (README "Deployment"). */
export const EXIT_REMOVED = 5;
/** Between noticing the removal and exiting: /readyz and /v1/status say why, and the log is flushed. */
export const REMOVED_EXIT_GRACE_MS = 3_000;
/**
 * Leaderless for this many election timeouts before asking the others, and then at most once per
 * as many: an ordinary election ends well within it, and a removed node has no hurry.
 */
export const REMOVAL_PROBE_ELECTION_TIMEOUTS = 2;

export type StatusAnswer = { readonly ok: true; readonly status: NodeStatusView } | { readonly ok: false };

/** What the watcher needs of the node's Raft loop (node/raft-node.ts). */
export interface WatchedNode {
  onTick(listener: () => void): void;
  status(): { readonly confState: ConfState };
  readonly leaderId: NodeId;
  readonly applied: number;
  stop(): Promise<void>;
}

export interface RemovalWatcherOptions {
  readonly node: WatchedNode;
  readonly self: Member;
  /** Only a member of this cluster, answering under the name this node knows it by, is believed. */
  readonly clusterId: string;
  /** The other members this node knows of (flags and replicated directory). */
  readonly peers: () => readonly Member[];
  readonly fetchStatus: (peer: Member) => Promise<StatusAnswer>;
  readonly monotonicMs: () => number;
  readonly logger: Logger;
  /** Ask the others only after this long without a known leader (a normal election is quicker). */
  readonly leaderlessMs: number;
  /** And then at most this often. */
  readonly probeEveryMs: number;
}

export interface Removal {
  readonly reason: string;
}

export class RemovalWatcher {
  private wasMember = false;
  private removal: Removal | null = null;
  private leaderlessSinceMs: number | null = null;
  private lastProbeMs = Number.NEGATIVE_INFINITY;
  private probing = false;
  private readonly listeners: ((r: Removal) => void)[] = [];

  constructor(private readonly opts: RemovalWatcherOptions) {
    // the configuration restored from disk counts: a restarted member may apply its removal from
    // its log before the first tick listener runs (a follower's timer sleeps up to an election
    // timeout), and a joiner starts with none
    this.wasMember = this.isMember();
    opts.node.onTick(() => this.check());
  }

  /** Why this node is no longer a member, or null while it is (or may still become) one. */
  get removed(): Removal | null {
    return this.removal;
  }

  onRemoved(listener: (r: Removal) => void): void {
    this.listeners.push(listener);
  }

  /** Runs on the Raft loop's tick listeners (each wake-up, each new configuration): cheap unless leaderless for long. */
  check(): void {
    if (this.removal !== null) return;
    const node = this.opts.node;
    const member = this.isMember();
    if (member) this.wasMember = true;
    else if (this.wasMember) {
      this.declare(`applied a configuration without ${this.opts.self.name} (index ${node.applied})`);
      return;
    }
    const nowMs = this.opts.monotonicMs();
    if (node.leaderId !== 0 || !member) {
      this.leaderlessSinceMs = null;
      return;
    }
    this.leaderlessSinceMs ??= nowMs;
    if (this.probing || nowMs - this.leaderlessSinceMs < this.opts.leaderlessMs) return;
    if (nowMs - this.lastProbeMs < this.opts.probeEveryMs) return;
    this.lastProbeMs = nowMs;
    this.probing = true;
    this.askPeers(node.applied).finally(() => {
      this.probing = false;
    });
  }

  private isMember(): boolean {
    const cs = this.opts.node.status().confState;
    const id = this.opts.self.id;
    return cs.voters.includes(id) || cs.learners.includes(id);
  }

  private async askPeers(appliedIndex: number): Promise<void> {
    const self = this.opts.self;
    const ask = (p: Member): Promise<StatusAnswer> => this.opts.fetchStatus(p).catch(() => ({ ok: false }) as const);
    const answers = await Promise.all(this.opts.peers().map(async (p) => [p, await ask(p)] as const));
    if (this.removal !== null) return;
    for (const [peer, answer] of answers) {
      if (!answer.ok) continue;
      const st = answer.status;
      // a peer URL may now lead to a node of another cluster: only this cluster's members count
      if (st.clusterId !== this.opts.clusterId || st.name !== peer.name) continue;
      if (!Array.isArray(st.members) || typeof st.appliedIndex !== 'number') continue;
      const listed = st.members.some((m) => m.name === self.name || m.name === `node-${self.id}`);
      if (!listed && st.appliedIndex >= appliedIndex && st.members.length > 0) {
        this.declare(
          `${peer.name} applied index ${st.appliedIndex} (this node: ${appliedIndex}) with a configuration without ${self.name}`,
        );
        return;
      }
    }
  }

  private declare(reason: string): void {
    if (this.removal !== null) return;
    this.removal = { reason };
    this.opts.logger.error(
      { reason, exitCode: EXIT_REMOVED, graceMs: REMOVED_EXIT_GRACE_MS },
      'removed from the cluster: this node stops taking part and exits; add it again with an empty data directory to rejoin',
    );
    // no more campaigns or votes: a removed node only disturbs the cluster it left
    void this.opts.node.stop();
    for (const l of this.listeners) l(this.removal);
  }
}
