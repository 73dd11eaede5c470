/**
 * Who the members are and how to reach them. Two sources:
 *
 * - **replicated**: what the conf change entries carried (member-context.ts), applied in log
 *   order on every node and kept in the node's snapshots (node-state.ts). This is how a member
 *   added at run time becomes known to the others, and how it survives restarts and compaction.
 * - **configured**: this node's `--peers` flags. Where both know a member, the flags win: they
 *   are this node's own route to it and may point at a proxy (the chaos harness relies on that).
 *
 * The peer transport is given every member either source knows; Raft decides whom to talk to.
 */

import type { Member } from '../node/members.js';
import type { ConfChange, ConfState, NodeId } from '../raft/types.js';
import { decodeMemberContext } from './member-context.js';

export class MemberRegistry {
  private readonly configured: ReadonlyMap<NodeId, Member>;
  private replicated = new Map<NodeId, Member>();
  private readonly listeners: (() => void)[] = [];

  constructor(configured: readonly Member[]) {
    this.configured = new Map(configured.map((m) => [m.id, m]));
  }

  /** A committed membership change, in log order. */
  applyConfChange(cc: ConfChange): void {
    if (cc.type === 'removeNode') {
      if (this.replicated.delete(cc.nodeId)) this.changed();
      return;
    }
    // a promotion (addVoter of a learner) carries no context: the learner's entry stays
    const member = decodeMemberContext(cc.nodeId, cc.context);
    if (member === null) return;
    const old = this.replicated.get(cc.nodeId);
    this.replicated.set(cc.nodeId, member);
    if (old === undefined || old.peerUrl !== member.peerUrl || old.clientUrl !== member.clientUrl) this.changed();
  }

  /** The replicated part, sorted by id: deterministic bytes for the snapshot. */
  snapshot(): Member[] {
    return [...this.replicated.values()].sort((a, b) => a.id - b.id);
  }

  /** Replaces the replicated part (a snapshot was restored or received). */
  restore(members: readonly Member[]): void {
    this.replicated = new Map(members.map((m) => [m.id, m]));
    this.changed();
  }

  /** How this node reaches `id`: its flags first, then the replicated directory. */
  get(id: NodeId): Member | undefined {
    return this.configured.get(id) ?? this.replicated.get(id);
  }

  /** What the replicated directory says about `id` (the cluster's view, without local routes). */
  replicatedMember(id: NodeId): Member | undefined {
    return this.replicated.get(id);
  }

  /** Every member either source knows. */
  known(): Member[] {
    const out = new Map(this.replicated);
    for (const [id, m] of this.configured) out.set(id, m);
    return [...out.values()];
  }

  /** The members of configuration `cs`, voters first; a member known to neither source gets a placeholder. */
  members(cs: ConfState): Member[] {
    return [...cs.voters, ...cs.learners].map(
      (id) => this.get(id) ?? { name: `node-${id}`, id, peerUrl: '', clientUrl: '' },
    );
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
