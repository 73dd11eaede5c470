/**
 * Joins the Raft loop, the coordination state machine and the leader's session leases into the
 * service the client API talks to: submit a command (→ a log entry, answered once applied),
 * read linearizably (ReadIndex, then read the local state machine), keepalive (leader memory),
 * and a stream of the state machine's events (grants, losses, election changes) as every node
 * applies them.
 */

import type { MemberRegistry } from '../admin/member-registry.js';
import { decodeNodeState, nodeStateHeader } from '../admin/node-state.js';
import {
  type Actor,
  type Command,
  CoordinationFsm,
  decodeEnvelope,
  encodeEnvelope,
  type FsmEvent,
  runSteps,
} from '../fsm/index.js';
import { decodeConfChange } from '../raft/confchange.js';
import type { Entry, NodeId, SoftState } from '../raft/types.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { RaftNode, type RaftNodeOptions, type StateMachine } from './raft-node.js';
import { SessionLeases } from './session-leases.js';

export type ApplyOutput = ReturnType<CoordinationFsm['apply']>;
export type CommandResult = ApplyOutput['result'];

/**
 * The state machine slot the loop applies into; `restore` swaps in a new instance. With a member
 * registry, membership changes and the snapshot carry the member directory too (admin/node-state.ts).
 */
class FsmSlot implements StateMachine<ApplyOutput> {
  fsm = new CoordinationFsm();

  constructor(private readonly registry: MemberRegistry | undefined) {}

  apply(entry: Entry): ApplyOutput {
    return this.fsm.apply(entry.index, entry.data);
  }

  applyConfChange(entry: Entry): void {
    const cc = decodeConfChange(entry.data);
    if (cc !== null) this.registry?.applyConfChange(cc);
  }

  snapshot(): Uint8Array {
    return runSteps(this.snapshotSteps());
  }

  snapshotSteps(): Generator<void, Uint8Array, void> {
    // the member directory first, and the state machine encoded right behind it in one buffer
    return this.registry === undefined
      ? this.fsm.snapshotSteps()
      : this.fsm.snapshotSteps(nodeStateHeader(this.registry.snapshot()));
  }

  restore(data: Uint8Array): void {
    const state = decodeNodeState(data);
    this.fsm = CoordinationFsm.restore(state.fsm);
    this.registry?.restore(state.members);
  }
}

export interface CoordinatorOptions extends Omit<RaftNodeOptions<ApplyOutput>, 'stateMachine'> {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Keeps the member directory replicated with the log (admin/member-registry.ts). */
  readonly members?: MemberRegistry;
}

export class Coordinator {
  readonly node: RaftNode<ApplyOutput>;
  readonly leases: SessionLeases;
  private readonly slot: FsmSlot;
  private readonly eventListeners: ((e: FsmEvent, index: number) => void)[] = [];
  private readonly leaderListeners: ((s: SoftState) => void)[] = [];
  private readonly proposalListeners: ((durationMs: number, applied: boolean) => void)[] = [];

  constructor(private readonly opts: CoordinatorOptions) {
    this.slot = new FsmSlot(opts.members);
    this.node = new RaftNode({ ...opts, stateMachine: this.slot });
    this.leases = new SessionLeases({
      clock: opts.clock,
      logger: opts.logger.child({ component: 'sessions' }),
      isLeader: () => this.node.isLeader,
      leaseRemainingMs: () => this.node.leaseRemainingMs(),
      proposeLeaderCommand: (cmd) => this.submit('', 0, cmd),
      sessions: () => this.slot.fsm.sessions(),
      hasSession: (id) => this.slot.fsm.hasSession(id),
      pendingLockDelays: () => this.slot.fsm.pendingLockDelays(),
    });
    this.node.onLeaderChange((now, prev) => {
      if (now.role === 'leader' && prev.role !== 'leader') this.leases.becameLeader();
      if (now.role !== 'leader' && prev.role === 'leader') this.leases.steppedDown();
      for (const l of this.leaderListeners) l(now);
    });
    this.node.onTick(() => this.leases.tick());
    this.node.onApplied(({ entry, output }) => {
      if (output === null) return;
      this.afterApply(entry, output);
    });
  }

  get fsm(): CoordinationFsm {
    return this.slot.fsm;
  }

  start(): void {
    this.node.start();
  }

  stop(): Promise<void> {
    return this.node.stop();
  }

  onEvent(listener: (e: FsmEvent, index: number) => void): void {
    this.eventListeners.push(listener);
  }

  onLeaderChange(listener: (s: SoftState) => void): void {
    this.leaderListeners.push(listener);
  }

  /** Called when a proposal settles: how long from propose to applied here (metrics). */
  onProposalDone(listener: (durationMs: number, applied: boolean) => void): void {
    this.proposalListeners.push(listener);
  }

  get leaderId(): NodeId {
    return this.node.leaderId;
  }

  /**
   * Proposes a command; resolves with the state machine's result once it is applied here.
   * `actor`: the token identity it is proposed for (auth on), which binds and checks sessions.
   */
  async submit(clientId: string, seq: number, cmd: Command, actor?: Actor): Promise<CommandResult> {
    const atMs = Math.floor(this.opts.clock.wallMs());
    const data = encodeEnvelope({ clientId, seq, atMs, cmd, ...(actor === undefined ? {} : { actor }) });
    const startedMs = this.opts.clock.monotonicMs();
    let applied = false;
    try {
      const out = await this.node.propose(data);
      applied = true;
      return out.result;
    } finally {
      const durationMs = this.opts.clock.monotonicMs() - startedMs;
      for (const l of this.proposalListeners) l(durationMs, applied);
    }
  }

  /** Runs `fn` on state that reflects every write committed before the call (ReadIndex). */
  async read<T>(fn: (fsm: CoordinationFsm) => T): Promise<T> {
    await this.node.linearizableRead();
    return fn(this.slot.fsm);
  }

  private afterApply(entry: Entry, output: ApplyOutput): void {
    // the leases need to know what an entry did; decoding again is cheap next to the fsync
    let cmd: Command | null = null;
    try {
      cmd = decodeEnvelope(entry.data).cmd;
    } catch {
      cmd = null; // the state machine already answered INVALID_ARGUMENT and changed nothing
    }
    if (cmd !== null && output.result.ok && cmd.op === 'openSession') this.leases.sessionOpened(entry.index, cmd.ttlMs);
    let delaysMayChange = cmd?.op === 'endLockDelay';
    for (const e of output.events) {
      if (e.kind === 'sessionEnded') this.leases.sessionEnded(e.sessionId);
      if (e.kind === 'lost' && e.reason === 'expired') delaysMayChange = true;
    }
    if (delaysMayChange) this.leases.syncLockDelays();
    for (const e of output.events) for (const l of this.eventListeners) l(e, entry.index);
  }
}
