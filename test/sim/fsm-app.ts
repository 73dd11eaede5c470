/**
 * The coordination state machine on every simulated node (DESIGN §8): each node applies its
 * committed entries to its own CoordinationFsm, snapshots it into its Raft snapshots and restores
 * it on restart and InstallSnapshot. After every applied entry it checks:
 * - the state machine's invariants on that node (checkFsmInvariants);
 * - the same answer and events for an entry on every node that applies it;
 * - the history across entries, fed once per index by the first node to apply it
 *   (FsmHistoryChecker: tokens are the entry index and strictly increase per name, waiters are
 *   granted in FIFO order and never after their session ended, a retry gets the first answer);
 * - identical snapshot bytes for nodes at the same applied index (sampled every few indexes, and
 *   at every snapshot taken or restored), and an exact round trip through restore.
 */
import { createHash } from 'node:crypto';
import { fsm } from '@baton/server';
import type { Entry, NodeId } from '@baton/server/raft';
import { Violation } from './checks.js';
import type { Cluster, SimApp, SimNode } from './cluster.js';

/** Compare whole snapshots at indexes that are a multiple of this (each costs an encode per node). */
const STATE_CHECK_EVERY = 8;

export interface AppliedEntry {
  readonly node: NodeId;
  readonly entry: Entry;
  readonly out: fsm.ApplyOutput;
  /** true only for the first node to apply this index (the history and the push events). */
  readonly first: boolean;
}

function digest(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('base64');
}

/** One trace line: the command, its answer, and the grants it made. */
function describeEntry(e: Entry, out: fsm.ApplyOutput): string {
  let what: string;
  try {
    const env = fsm.decodeEnvelope(e.data);
    what = `${env.clientId || 'leader'}#${env.seq} ${JSON.stringify(env.cmd)}`;
  } catch {
    what = `(not an envelope, ${e.data.length} bytes)`;
  }
  const answer = out.result.ok ? JSON.stringify(out.result.value) : out.result.code;
  const grants = out.events.flatMap((x) => (x.kind === 'granted' ? [`${x.name}->s${x.sessionId}@${x.token}`] : []));
  return `${what} => ${answer}${grants.length > 0 ? ` grants ${grants.join(' ')}` : ''}`;
}

export class FsmSimApp implements SimApp {
  private readonly machines = new Map<NodeId, fsm.CoordinationFsm>();
  readonly history: fsm.FsmHistoryChecker = new fsm.FsmHistoryChecker();
  /** The highest index some node applied: each index is fed to the history once, in order. */
  private fedIndex: number;
  private readonly outputs = new Map<number, string>();
  private readonly states = new Map<number, string>();
  /** Every state machine entry a node applied (the clients hear their answers and events here). */
  onApplied: (a: AppliedEntry) => void = () => {};
  readonly stats = { fsmEntries: 0, statesCompared: 0, restores: 0 };

  constructor(private readonly c: Cluster) {
    // nothing but the bootstrap configuration has been applied yet
    let applied = 0;
    for (const n of c.nodes.values()) {
      this.machines.set(n.id, new fsm.CoordinationFsm());
      applied = Math.max(applied, n.applied);
    }
    this.fedIndex = applied;
    c.app = this;
  }

  /** Node `id`'s state machine (for the leader's duties and the clients' view). */
  machine(id: NodeId): fsm.CoordinationFsm {
    let m = this.machines.get(id);
    if (m === undefined) {
      m = new fsm.CoordinationFsm();
      this.machines.set(id, m);
    }
    return m;
  }

  apply(n: SimNode, e: Entry): void {
    const m = this.machine(n.id);
    let out: fsm.ApplyOutput | null = null;
    if (e.type === 'normal' && e.data.length > 0) {
      out = m.apply(e.index, e.data);
      const broken = fsm.checkFsmInvariants(m);
      if (broken.length > 0) {
        throw new Violation('fsm invariant', `node ${n.id} after entry ${e.index}: ${broken.slice(0, 4).join('; ')}`);
      }
      const json = JSON.stringify(out);
      const seen = this.outputs.get(e.index);
      if (seen === undefined) this.outputs.set(e.index, json);
      else if (seen !== json) {
        throw new Violation(
          'fsm determinism',
          `node ${n.id} answered entry ${e.index} with ${json}, another node ${seen}`,
        );
      }
    }
    const first = e.index > this.fedIndex;
    if (first) {
      if (e.index !== this.fedIndex + 1) {
        throw new Violation(
          'fsm history',
          `node ${n.id} applied ${e.index} before anyone applied ${this.fedIndex + 1}`,
        );
      }
      this.fedIndex = e.index;
      if (out !== null) {
        this.stats.fsmEntries++;
        this.c.log(`fsm ${e.index} (first at n${n.id}): ${describeEntry(e, out)}`);
        const bad = this.history.observe(e.index, e.data, out);
        if (bad.length > 0) throw new Violation('fsm history', bad.slice(0, 4).join('; '));
      }
    }
    if (e.index % STATE_CHECK_EVERY === 0) this.compareState(n.id, e.index, m.snapshot());
    if (out !== null) this.onApplied({ node: n.id, entry: e, out, first });
  }

  snapshot(n: SimNode): string {
    const bytes = this.machine(n.id).snapshot();
    this.compareState(n.id, n.applied, bytes);
    return Buffer.from(bytes).toString('base64');
  }

  restore(n: SimNode, data: string | undefined, index: number): void {
    if (data === undefined) {
      // no snapshot yet: the node replays its log from the start
      this.machines.set(n.id, new fsm.CoordinationFsm());
      return;
    }
    const bytes = new Uint8Array(Buffer.from(data, 'base64'));
    let m: fsm.CoordinationFsm;
    try {
      m = fsm.CoordinationFsm.restore(bytes);
    } catch (err) {
      throw new Violation(
        'fsm snapshot',
        `node ${n.id} cannot restore its snapshot at ${index}: ${(err as Error).message}`,
      );
    }
    if (Buffer.compare(m.snapshot(), bytes) !== 0) {
      throw new Violation('fsm snapshot', `node ${n.id}: the snapshot at ${index} does not round-trip through restore`);
    }
    this.compareState(n.id, index, bytes);
    this.machines.set(n.id, m);
    this.stats.restores++;
  }

  /** Nodes at the same applied index must hold byte-identical state. */
  private compareState(id: NodeId, index: number, bytes: Uint8Array): void {
    const d = digest(bytes);
    const seen = this.states.get(index);
    this.stats.statesCompared++;
    if (seen === undefined) this.states.set(index, d);
    else if (seen !== d) {
      throw new Violation('fsm determinism', `node ${id}'s state at index ${index} differs from another node's`);
    }
  }
}
