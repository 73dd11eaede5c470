/**
 * The `admin.*` requests (proto-schemas admin.ts): membership changes, leadership transfer and
 * the online backup. Membership requests run on the leader, which alone knows every member's
 * replication progress; other nodes answer NOT_LEADER with its URL and the SDK follows.
 *
 * Every check runs before anything is proposed, so a bad request changes nothing:
 * - add: the name (hence the Raft id) and the peer URL must be new → ALREADY_EXISTS;
 * - promote: a learner only, caught up (within ADMIN_LIMITS.learnerMaxLagEntries of the leader
 *   and answering) — a voter that is behind would stall commits the moment it counts;
 * - remove: never the last voter, never leaving fewer reachable voters than a quorum of the new
 *   configuration (etcd's strict reconfiguration check); the leader hands leadership over first;
 * - transfer: to a reachable voter.
 * The core itself accepts one change at a time, and only once the leader committed an entry of
 * its term (RAFT-NOTES #2): a request meeting either answers UNAVAILABLE and the SDK retries.
 */
import { createHash } from 'node:crypto';
import {
  type AdminMember,
  type AdminRequest,
  type ClientRequestOf,
  type ClientResult,
  LIMITS,
} from '@baton/proto-schemas';
import { ApiError } from '../api/errors.js';
import type { Clock } from '../node/clock.js';
import type { Coordinator } from '../node/coordinator.js';
import type { Logger } from '../node/logger.js';
import { clientUrlFor, type Member, nodeIdFromName } from '../node/members.js';
import { NodeError } from '../node/raft-node.js';
import type { MemberProgress } from '../raft/rawnode.js';
import type { ConfChange, ConfState, NodeId } from '../raft/types.js';
import { BackupStore } from './backup-store.js';
import { type HandoffTiming, isReachable, rankTransferTargets, transferLeadershipTo } from './handoff.js';
import { ADMIN_LIMITS } from './limits.js';
import { encodeMemberContext } from './member-context.js';
import type { MemberRegistry } from './member-registry.js';
import { pollUntil } from './poll.js';

export interface AdminApiOptions extends HandoffTiming {
  readonly coordinator: Coordinator;
  readonly registry: MemberRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
}

type Result = Promise<ClientResult>;

export class AdminApi {
  private readonly backups = new BackupStore();

  constructor(private readonly opts: AdminApiOptions) {}

  handle(r: AdminRequest): Result {
    switch (r.type) {
      case 'admin.members.list':
        return this.list();
      case 'admin.members.add':
        return this.add(r);
      case 'admin.members.promote':
        return this.promote(r);
      case 'admin.members.remove':
        return this.remove(r);
      case 'admin.leader.transfer':
        return this.transfer(r);
      case 'admin.snapshot.save':
        return this.snapshotSave();
      case 'admin.snapshot.chunk':
        return Promise.resolve(this.backups.chunk(r.snapshotId, r.offset) as ClientResult);
    }
  }

  close(): void {
    this.backups.close();
  }

  // ------------------------------------------------------------------ membership

  private async list(): Result {
    this.requireLeader();
    const st = this.node.status();
    return {
      leaderId: this.nameOf(this.node.id),
      term: st.hardState.term,
      commitIndex: st.hardState.commit,
      members: this.opts.registry.members(st.confState).map((m) => this.view(m)),
    } as ClientResult;
  }

  private async add(r: ClientRequestOf<'admin.members.add'>): Result {
    this.requireLeader();
    const id = nodeIdFromName(r.memberId);
    const cs = this.node.status().confState;
    const existing = this.roleOf(cs, id);
    if (existing !== null) {
      // the same add again (its answer was lost, a leader changed): done already. Compared with
      // the address the cluster recorded, not this node's route to it (flags may name a proxy)
      const recorded = this.opts.registry.replicatedMember(id);
      if (recorded !== undefined && recorded.name === r.memberId && recorded.peerUrl === basePeerUrl(r.peerUrl)) {
        return { member: this.view(recorded) } as ClientResult;
      }
      const known = this.opts.registry.get(id);
      const what =
        known !== undefined && known.name !== r.memberId
          ? `id of ${r.memberId} collides with ${known.name}, a`
          : `${r.memberId} is already a`;
      throw new ApiError('ALREADY_EXISTS', `${what} ${existing}`);
    }
    const peerUrl = basePeerUrl(r.peerUrl);
    // this node's route (maybe a proxy) and the address the cluster recorded: neither may repeat
    const clash = this.opts.registry
      .members(cs)
      .find((m) => m.peerUrl === peerUrl || this.opts.registry.replicatedMember(m.id)?.peerUrl === peerUrl);
    if (clash !== undefined)
      throw new ApiError('ALREADY_EXISTS', `peer URL ${peerUrl} is already used by ${clash.name}`);
    const member: Member = { name: r.memberId, id, peerUrl, clientUrl: r.clientUrl ?? clientUrlFor(peerUrl) };
    await this.change({ type: 'addLearner', nodeId: id, context: encodeMemberContext(member) });
    this.opts.logger.info({ member: member.name, peerUrl, clientUrl: member.clientUrl }, 'member added as learner');
    return { member: this.view(member) } as ClientResult;
  }

  private async promote(r: ClientRequestOf<'admin.members.promote'>): Result {
    this.requireLeader();
    const id = nodeIdFromName(r.memberId);
    const role = this.roleOf(this.node.status().confState, id);
    if (role === null) throw new ApiError('NOT_FOUND', `${r.memberId} is not a member`);
    if (role === 'voter') throw new ApiError('ALREADY_EXISTS', `${r.memberId} is already a voter`);
    const caughtUp = await pollUntil(
      () => !this.node.isLeader || this.learnerReady(id),
      r.timeoutMs ?? 0,
      this.opts.tickMs,
    );
    this.requireLeader();
    if (!caughtUp) throw new ApiError('FAILED_PRECONDITION', `${r.memberId} has not caught up: ${this.lagText(id)}`);
    const cs = this.node.status().confState;
    await this.requireQuorumAfter([...cs.voters, id], r.memberId, 'promoting');
    await this.change({ type: 'addVoter', nodeId: id });
    this.opts.logger.info({ member: r.memberId }, 'learner promoted to voter');
    const member = this.opts.registry.get(id);
    if (member === undefined) throw new ApiError('INTERNAL', `${r.memberId} has no address`);
    return { member: this.view(member) } as ClientResult;
  }

  private async remove(r: ClientRequestOf<'admin.members.remove'>): Result {
    this.requireLeader();
    const id = nodeIdFromName(r.memberId);
    const cs = this.node.status().confState;
    const role = this.roleOf(cs, id);
    if (role === null) throw new ApiError('NOT_FOUND', `${r.memberId} is not a member`);
    if (role === 'voter' && cs.voters.length === 1) {
      throw new ApiError('FAILED_PRECONDITION', `${r.memberId} is the last voter: a cluster cannot remove it`);
    }
    if (role === 'voter')
      await this.requireQuorumAfter(
        cs.voters.filter((v) => v !== id),
        r.memberId,
        'removing',
      );
    if (id === this.node.id) {
      // the leader cannot count itself out of the quorum it leads: hand over, then the new
      // leader removes it (the SDK follows NOT_LEADER and sends the request again)
      await this.handOver(r.memberId);
      throw this.notLeader();
    }
    await this.change({ type: 'removeNode', nodeId: id });
    this.opts.logger.info({ member: r.memberId }, 'member removed');
    return {} as ClientResult;
  }

  private async transfer(r: ClientRequestOf<'admin.leader.transfer'>): Result {
    this.requireLeader();
    const id = nodeIdFromName(r.memberId);
    const role = this.roleOf(this.node.status().confState, id);
    if (role === null) throw new ApiError('NOT_FOUND', `${r.memberId} is not a member`);
    if (role === 'learner') throw new ApiError('FAILED_PRECONDITION', `${r.memberId} is a learner: promote it first`);
    if (id !== this.node.id) {
      const reachable = (): boolean => {
        const p = this.progressOf(id);
        return p !== undefined && isReachable(p, this.opts.electionTimeoutTicks);
      };
      if (!(await this.settled(reachable))) {
        this.requireLeader();
        throw new ApiError('FAILED_PRECONDITION', `${r.memberId} did not answer within an election timeout`);
      }
      const moved = await transferLeadershipTo(
        this.opts.coordinator,
        id,
        r.timeoutMs ?? this.transferTimeoutMs(),
        this.opts,
      );
      if (!moved) {
        throw new ApiError(
          'UNAVAILABLE',
          `the transfer to ${r.memberId} did not complete; leader now ${this.nameOf(this.node.leaderId)}`,
        );
      }
      this.opts.logger.info({ to: r.memberId }, 'leadership transferred');
    }
    return { leaderId: r.memberId, term: this.node.status().hardState.term } as ClientResult;
  }

  private async handOver(selfName: string): Promise<void> {
    const targets = (): NodeId[] =>
      rankTransferTargets(this.node.progress(), this.node.id, this.opts.electionTimeoutTicks);
    await this.settled(() => targets().length > 0);
    for (const target of targets()) {
      const electionMs = this.opts.tickMs * this.opts.electionTimeoutTicks;
      if (await transferLeadershipTo(this.opts.coordinator, target, electionMs + this.opts.tickMs, this.opts)) {
        this.opts.logger.info({ to: this.nameOf(target) }, 'leadership handed over before removing this node');
        return;
      }
      if (!this.node.isLeader) return;
    }
    throw new ApiError('UNAVAILABLE', `no other voter took over leadership from ${selfName}; retry`);
  }

  // ------------------------------------------------------------------ backup

  private async snapshotSave(): Result {
    const { coordinator, registry } = this.opts;
    // a linearizable point: the state reflects every write committed before this request
    const taken = await this.guard(
      coordinator.read((fsm) => ({
        bytes: fsm.snapshot(),
        index: coordinator.node.applied,
        cs: coordinator.node.status().confState,
      })),
    );
    const id = this.backups.hold(taken.bytes);
    const learners = new Set(taken.cs.learners);
    this.opts.logger.info({ index: taken.index, bytes: taken.bytes.byteLength }, 'backup snapshot taken');
    return {
      snapshotId: id,
      index: taken.index,
      term: coordinator.node.termAt(taken.index),
      sizeBytes: taken.bytes.byteLength,
      sha256: createHash('sha256').update(taken.bytes).digest('hex'),
      chunkBytes: LIMITS.snapshotChunkBytes,
      members: registry.members(taken.cs).map((m) => ({
        id: m.name,
        peerUrl: m.peerUrl,
        clientUrl: m.clientUrl,
        role: learners.has(m.id) ? 'learner' : 'voter',
      })),
      takenAtMs: Math.floor(this.opts.clock.wallMs()),
      holdMs: ADMIN_LIMITS.snapshotHoldMs,
    } as ClientResult;
  }

  // ------------------------------------------------------------------ helpers

  private get node() {
    return this.opts.coordinator.node;
  }

  private requireLeader(): void {
    if (!this.node.isLeader) throw this.notLeader();
  }

  private notLeader(): ApiError {
    const leader = this.opts.registry.get(this.opts.coordinator.leaderId);
    if (leader === undefined || leader.id === this.node.id) {
      return new ApiError('UNAVAILABLE', 'no leader is known right now; retry shortly');
    }
    return new ApiError('NOT_LEADER', `the leader is ${leader.name}`, { leaderHint: leader.clientUrl });
  }

  private async change(cc: ConfChange): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ApiError('UNAVAILABLE', 'the membership change was not applied in time; check members list')),
        ADMIN_LIMITS.confChangeTimeoutMs,
      );
    });
    try {
      await this.guard(Promise.race([this.node.proposeConfChange(cc), timeout]));
    } finally {
      clearTimeout(timer);
    }
  }

  /** NodeErrors as answers: NOT_LEADER with the hint, anything else UNAVAILABLE (retry). */
  private async guard<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      if (err instanceof NodeError) {
        if (err.code === 'NOT_LEADER') throw this.notLeader();
        throw new ApiError('UNAVAILABLE', err.message);
      }
      throw err;
    }
  }

  private roleOf(cs: ConfState, id: NodeId): 'voter' | 'learner' | null {
    if (cs.voters.includes(id)) return 'voter';
    if (cs.learners.includes(id)) return 'learner';
    return null;
  }

  private progressOf(id: NodeId): MemberProgress | undefined {
    return this.node.progress().find((p) => p.id === id);
  }

  private learnerReady(id: NodeId): boolean {
    const p = this.progressOf(id);
    if (p === undefined || !isReachable(p, this.opts.electionTimeoutTicks) || p.state !== 'replicate') return false;
    return this.node.status().lastIndex - p.match <= ADMIN_LIMITS.learnerMaxLagEntries;
  }

  private lagText(id: NodeId): string {
    const p = this.progressOf(id);
    if (p === undefined) return 'the leader has no progress for it';
    if (!isReachable(p, this.opts.electionTimeoutTicks)) return 'it has not answered the leader (is it running?)';
    const behind = this.node.status().lastIndex - p.match;
    return `${behind} entries behind (at most ${ADMIN_LIMITS.learnerMaxLagEntries}), replication ${p.state}; retry with a longer timeout`;
  }

  /**
   * etcd's strict reconfiguration check: the new configuration must start out with a live
   * quorum. A leader hears from its peers only after its first heartbeats, so the check waits up
   * to an election timeout for them before it refuses.
   */
  private async requireQuorumAfter(voters: readonly NodeId[], name: string, verb: string): Promise<void> {
    const quorum = Math.floor(voters.length / 2) + 1;
    const live = (): number => {
      const progress = new Map(this.node.progress().map((p) => [p.id, p]));
      return voters.filter((v) => {
        const p = progress.get(v);
        return p !== undefined && isReachable(p, this.opts.electionTimeoutTicks);
      }).length;
    };
    if (await this.settled(() => live() >= quorum)) return;
    this.requireLeader();
    throw new ApiError(
      'FAILED_PRECONDITION',
      `${verb} ${name} would leave ${live()} of ${voters.length} voters reachable, fewer than a quorum (${quorum})`,
    );
  }

  /** Waits up to one election timeout (plus a tick) for `cond`: what a new leader needs to hear its peers. */
  private settled(cond: () => boolean): Promise<boolean> {
    const { tickMs, electionTimeoutTicks } = this.opts;
    return pollUntil(() => !this.node.isLeader || cond(), tickMs * (electionTimeoutTicks + 1), tickMs).then(
      (ok) => ok && this.node.isLeader,
    );
  }

  private transferTimeoutMs(): number {
    return this.opts.tickMs * this.opts.electionTimeoutTicks * ADMIN_LIMITS.transferTimeoutElections;
  }

  private nameOf(id: NodeId): string {
    return this.opts.registry.get(id)?.name ?? `node-${id}`;
  }

  private view(m: Member): AdminMember {
    const st = this.node.status();
    const p = this.progressOf(m.id);
    const match = p?.match ?? 0;
    return {
      id: m.name,
      peerUrl: m.peerUrl,
      clientUrl: m.clientUrl,
      role: st.confState.learners.includes(m.id) ? 'learner' : 'voter',
      isLeader: m.id === this.node.leaderId,
      matchIndex: match,
      lagEntries: Math.max(0, st.lastIndex - match),
      reachable: p !== undefined && isReachable(p, this.opts.electionTimeoutTicks),
    };
  }
}

/** `http://host:port` exactly as the member list keeps it (the schema refused paths already). */
function basePeerUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}
