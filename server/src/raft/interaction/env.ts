/**
 * A harness for golden "interaction" scripts in the style of etcd-io/raft's `interaction_env`:
 * N RawNodes on MemoryStorage, one manual message queue, and commands that drive them one step
 * at a time. Every command returns a deterministic text description of what happened, which the
 * runner (interaction.test.ts) compares with the expected output in `testdata/*.txt`.
 *
 * Ready handling, in this order (Habit 3, RAFT-NOTES #4): persist the snapshot, entries and hard
 * state to the node's MemoryStorage; queue `messages` and then `messagesAfterPersist` (a message
 * a node addresses to itself there — its own vote — is delivered by RawNode.advance(), not by
 * us); apply the committed entries; advance().
 *
 * The network is a single FIFO queue. A message is taken off it only by `deliver-msgs`,
 * `drop-msgs` or `stabilize`; a `partition` is checked when a message is delivered, so a
 * message crossing it is dropped then (and printed as DROPPED).
 *
 * Commands (ids are node ids; "ids..." means one or more, or all nodes where noted):
 *   add-nodes N [voters=(1,2,3)] [learners=(4)] [index=I] [checkquorum=B] [prevote=B]
 *             [read-only=safe|lease] [election=T] [heartbeat=T] [max-inflight=K]
 *             [max-msg-size=BYTES] [lease-drift=T]
 *       N new nodes with the next free ids; settings left out take the core's defaults (printed). With voters/learners, each starts from a snapshot at
 *       index I (term 1 when I > 0) holding that configuration, and an empty hard state (term 0),
 *       as etcd's env does; otherwise it starts empty and learns everything from a leader.
 *       (So the first leader's term, 1, equals the snapshot's: it counts as having committed in
 *       its term from the start. Scenarios about a leader's first commit use a later term.)
 *   campaign ID | propose ID DATA | propose-conf-change ID addVoter|addLearner|removeNode NODE
 *   transfer-leadership from=ID to=ID | read-index ID ctx=CTX
 *   tick ids... [n=K] | tick-election ids... | tick-heartbeat ids...
 *   process-ready [ids...]      handle one Ready of each (all nodes if none given)
 *   ready ID / advance ID       the same in two steps: take the Ready and send its `messages`;
 *                               later persist, send `messagesAfterPersist`, apply, advance()
 *   early ID                    between the two: RawNode.takeEarly() — send the messages that
 *                               may leave before the persist, apply the durable committed entries
 *   deliver-msgs ids... [from=ID] [type=T] | drop-msgs ids... [from=ID] [type=T]
 *   stabilize [ids...]          Readies and deliveries among those nodes until nothing is left
 *   partition 1 2 | 3 [| ...]   drop messages between the groups (unlisted nodes reach all); heal
 *   compact ID index=I          snapshot the state machine at I and compact the log up to it
 *   restart ID                  a new RawNode over the node's storage (applied = what it applied)
 *   crash-after-ready ID        take a Ready, send `messages`, crash before persisting, restart
 *   status [ids...] | raft-log [ids...] | pending-msgs | log-level none|all
 *
 * Lines starting with INFO are events the harness observed: role and term changes, votes,
 * configuration switches, leadership transfers starting and ending.
 */

import { bootstrapLog, decodeConfChange } from '../confchange.js';
import type { RaftConfig, Rng } from '../config.js';
import { RawNode } from '../rawnode.js';
import { invariant, MemoryStorage } from '../storage.js';
import type {
  ConfChangeType,
  ConfState,
  Entry,
  HardState,
  Message,
  MessageType,
  NodeId,
  ProposeResult,
  Ready,
  RoleName,
  Snapshot,
} from '../types.js';

/** Upper bound on rounds of one `stabilize` (a livelocked script fails instead of spinning). */
const STABILIZE_ROUNDS_MAX = 1_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A tiny seeded LCG (the constants of glibc's rand) so randomized election timeouts are the same
 * on every run. It records what it drew last so `status` can show the current timeout.
 */
export class Lcg implements Rng {
  private state: number;
  lastDrawn: { readonly value: number; readonly maxExclusive: number } | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextInt(minInclusive: number, maxExclusive: number): number {
    invariant(maxExclusive > minInclusive, `empty range [${minInclusive}, ${maxExclusive})`);
    this.state = (Math.imul(this.state, 1103515245) + 12345) >>> 0;
    const value = minInclusive + ((this.state >>> 16) % (maxExclusive - minInclusive));
    this.lastDrawn = { value, maxExclusive };
    return value;
  }
}

/**
 * The RaftConfig settings a script chose (add-nodes arguments); anything left out takes the
 * core's default (resolveConfig), so the defaults live in one place.
 */
export type NodeOptions = Partial<
  Pick<
    RaftConfig,
    | 'checkQuorum'
    | 'preVote'
    | 'readOnlyOption'
    | 'electionTimeoutTicks'
    | 'heartbeatTicks'
    | 'maxInflightMsgs'
    | 'maxSizePerMsgBytes'
    | 'leaseDriftTicks'
  >
>;

interface EnvNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  readonly rng: Lcg;
  readonly options: NodeOptions;
  rawNode: RawNode;
  /** Index of the last entry (or snapshot) this node's state machine applied. */
  applied: number;
  /** A Ready taken by `ready` whose persist and advance() are still to come (`advance`). */
  outstanding: Ready | null;
}

/** One parsed script command: `name pos1 pos2 key=value key=(a,b)`. */
export interface Command {
  readonly name: string;
  readonly positional: readonly string[];
  readonly named: ReadonlyMap<string, string>;
  readonly text: string;
}

export function parseCommand(line: string): Command {
  const tokens = line.trim().match(/\S+=\([^)]*\)|\S+/g) ?? [];
  const [name, ...rest] = tokens;
  invariant(name !== undefined, 'empty command');
  const positional: string[] = [];
  const named = new Map<string, string>();
  for (const t of rest) {
    const eq = t.indexOf('=');
    if (eq > 0) named.set(t.slice(0, eq), t.slice(eq + 1));
    else positional.push(t);
  }
  return { name, positional, named, text: line.trim() };
}

/** Observable node state, compared before and after each input to print what changed. */
interface Observed {
  readonly role: RoleName;
  readonly term: number;
  readonly vote: NodeId;
  readonly conf: string;
  readonly leadTransferee: NodeId;
}

export class InteractionEnv {
  private readonly nodes = new Map<NodeId, EnvNode>();
  private queue: Message[] = [];
  /** node -> partition group; a message between two listed nodes of different groups is dropped. */
  private groups: Map<NodeId, number> | null = null;
  private quiet = false;

  /** Runs one command and returns its output (never empty: "ok" when there is nothing to say). */
  handle(cmd: Command): string {
    const out: string[] = [];
    try {
      this.dispatch(cmd, out);
    } catch (err) {
      out.push(`error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      return out.join('\n');
    }
    if (this.quiet) return 'ok';
    return out.length > 0 ? out.join('\n') : 'ok';
  }

  private dispatch(cmd: Command, out: string[]): void {
    switch (cmd.name) {
      case 'log-level':
        this.quiet = (cmd.positional[0] ?? 'all') === 'none';
        return;
      case 'add-nodes':
        this.addNodes(cmd, out);
        return;
      case 'campaign':
        this.withEvents(this.node(cmd, 0), out, (n) => n.rawNode.campaign());
        return;
      case 'tick':
      case 'tick-election':
      case 'tick-heartbeat':
        this.tick(cmd, out);
        return;
      case 'process-ready':
        for (const id of this.ids(cmd)) this.processReady(this.mustNode(id), out, '');
        return;
      case 'ready':
        for (const id of this.ids(cmd)) this.takeReady(this.mustNode(id), out);
        return;
      case 'advance':
        for (const id of this.ids(cmd)) this.finishReady(this.mustNode(id), out, '');
        return;
      case 'early':
        for (const id of this.ids(cmd)) this.takeEarly(this.mustNode(id), out);
        return;
      case 'deliver-msgs':
        for (const id of this.ids(cmd)) this.deliverMsgs(id, out, '', this.filter(cmd));
        return;
      case 'drop-msgs':
        this.dropMsgs(cmd, out);
        return;
      case 'stabilize':
        this.stabilize(cmd, out);
        return;
      case 'propose':
        this.propose(cmd, out);
        return;
      case 'propose-conf-change':
        this.proposeConfChange(cmd, out);
        return;
      case 'transfer-leadership': {
        const from = this.mustNode(Number(this.named(cmd, 'from')));
        const to = Number(this.named(cmd, 'to'));
        this.withEvents(from, out, (n) => n.rawNode.transferLeadership(to));
        return;
      }
      case 'read-index': {
        const ctx = this.named(cmd, 'ctx');
        this.withEvents(this.node(cmd, 0), out, (n) => n.rawNode.readIndex(ctx));
        return;
      }
      case 'partition':
        this.partition(cmd, out);
        return;
      case 'heal':
        this.groups = null;
        return;
      case 'compact':
        this.compact(cmd, out);
        return;
      case 'restart':
        this.restart(cmd, out);
        return;
      case 'crash-after-ready':
        this.crashAfterReady(cmd, out);
        return;
      case 'status':
        for (const id of this.ids(cmd)) this.status(this.mustNode(id), out);
        return;
      case 'raft-log':
        for (const id of this.ids(cmd)) this.raftLog(this.mustNode(id), out);
        return;
      case 'pending-msgs':
        for (const m of this.queue) out.push(describeMessage(m));
        return;
      default:
        throw new Error(`unknown command ${cmd.name}`);
    }
  }

  // ---------------------------------------------------------------- argument helpers

  private named(cmd: Command, key: string): string {
    const v = cmd.named.get(key);
    if (v === undefined) throw new Error(`${cmd.name}: missing ${key}=`);
    return v;
  }

  private mustNode(id: NodeId): EnvNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  private node(cmd: Command, pos: number): EnvNode {
    return this.mustNode(Number(cmd.positional[pos]));
  }

  /** The positional node ids of a command; all nodes (in id order) when there are none. */
  private ids(cmd: Command): NodeId[] {
    if (cmd.positional.length === 0) return [...this.nodes.keys()].sort((a, b) => a - b);
    return cmd.positional.map((p) => {
      const id = Number(p);
      if (!Number.isInteger(id) || id <= 0) throw new Error(`${cmd.name}: bad node id ${p}`);
      return id;
    });
  }

  /** Optional `from=` and `type=` filters of deliver-msgs / drop-msgs. */
  private filter(cmd: Command): (m: Message) => boolean {
    const from = cmd.named.get('from');
    const type = cmd.named.get('type');
    return (m) => (from === undefined || m.from === Number(from)) && (type === undefined || m.type === type);
  }

  // ---------------------------------------------------------------- commands

  private addNodes(cmd: Command, out: string[]): void {
    const count = Number(cmd.positional[0]);
    if (!Number.isInteger(count) || count <= 0) throw new Error('add-nodes: need a count');
    const voters = parseIdList(cmd.named.get('voters'));
    const learners = parseIdList(cmd.named.get('learners'));
    const index = Number(cmd.named.get('index') ?? '0');
    const options: {
      -readonly [K in keyof NodeOptions]: NodeOptions[K];
    } = {};
    for (const [key, value] of cmd.named) {
      const num = (): number => {
        const v = Number(value);
        if (!Number.isInteger(v) || v <= 0) throw new Error(`add-nodes: ${key} must be a positive integer`);
        return v;
      };
      const bool = (): boolean => {
        if (value !== 'true' && value !== 'false') throw new Error(`add-nodes: ${key} must be true or false`);
        return value === 'true';
      };
      switch (key) {
        case 'voters':
        case 'learners':
        case 'index':
        case 'bootstrap':
          break;
        case 'checkquorum':
          options.checkQuorum = bool();
          break;
        case 'prevote':
          options.preVote = bool();
          break;
        case 'read-only':
          if (value !== 'safe' && value !== 'lease') throw new Error('add-nodes: read-only must be safe or lease');
          options.readOnlyOption = value;
          break;
        case 'election':
          options.electionTimeoutTicks = num();
          break;
        case 'heartbeat':
          options.heartbeatTicks = num();
          break;
        case 'max-inflight':
          options.maxInflightMsgs = num();
          break;
        case 'max-msg-size':
          options.maxSizePerMsgBytes = num();
          break;
        case 'lease-drift':
          options.leaseDriftTicks = num();
          break;
        default:
          throw new Error(`add-nodes: unknown argument ${key}=`);
      }
    }
    const first = this.nodes.size === 0 ? 1 : Math.max(...this.nodes.keys()) + 1;
    for (let id = first; id < first + count; id++) {
      // Like etcd's env: a node that belongs to the initial configuration starts from a snapshot
      // at `index` (term 1) carrying that configuration; any other node starts empty and learns
      // the configuration from the leader (by snapshot).
      let storage: MemoryStorage;
      if (cmd.named.get('bootstrap') === 'true') {
        // as production starts: the configuration is in the log (bootstrapLog), at term 1
        const boot = bootstrapLog(voters);
        storage = new MemoryStorage();
        storage.append(boot.entries);
        storage.setHardState(boot.hardState);
      } else if (voters.length > 0 || learners.length > 0) {
        const snapshot: Snapshot = {
          metadata: { index, term: index > 0 ? 1 : 0, confState: { voters, learners } },
          data: new Uint8Array(0),
        };
        storage = new MemoryStorage({ snapshot });
      } else {
        storage = new MemoryStorage();
      }
      const rng = new Lcg(id);
      const n: EnvNode = {
        id,
        storage,
        rng,
        options,
        rawNode: this.newRawNode(id, storage, rng, options, 0),
        applied: 0,
        outstanding: null,
      };
      n.applied = n.rawNode.status().applied;
      this.nodes.set(id, n);
      const st = n.rawNode.status();
      const cfg = n.rawNode.raft.cfg;
      out.push(
        `${id}: ${describeConf(st.confState)} first=${storage.firstIndex()} last=${st.lastIndex} ` +
          `checkQuorum=${cfg.checkQuorum} preVote=${cfg.preVote} readOnly=${cfg.readOnlyOption} ` +
          `election=${cfg.electionTimeoutTicks} heartbeat=${cfg.heartbeatTicks}`,
      );
    }
  }

  private newRawNode(id: NodeId, storage: MemoryStorage, rng: Lcg, options: NodeOptions, applied: number): RawNode {
    // etcd's scripts expect a commit index to go out as soon as it advances
    return new RawNode({ eagerCommitPropagation: true, ...options, id, storage, rng, applied });
  }

  /** `tick 1 2 n=3` (n ticks each, default 1), `tick-election 1` (electionTimeoutTicks), `tick-heartbeat 1`. */
  private tick(cmd: Command, out: string[]): void {
    if (cmd.positional.length === 0) throw new Error(`${cmd.name}: which nodes?`);
    for (const id of this.ids(cmd)) {
      const node = this.mustNode(id);
      let count = Number(cmd.named.get('n') ?? '1');
      if (cmd.name === 'tick-election') count = node.rawNode.raft.cfg.electionTimeoutTicks;
      if (cmd.name === 'tick-heartbeat') count = node.rawNode.raft.cfg.heartbeatTicks;
      for (let i = 0; i < count; i++) this.withEvents(node, out, (x) => x.rawNode.tick());
    }
  }

  private propose(cmd: Command, out: string[]): void {
    const data = cmd.positional[1] ?? '';
    let r: ProposeResult | null = null;
    this.withEvents(this.node(cmd, 0), out, (n) => {
      r = n.rawNode.propose(encoder.encode(data));
    });
    out.unshift(describeProposeResult(r));
  }

  private proposeConfChange(cmd: Command, out: string[]): void {
    const type = cmd.positional[1] as ConfChangeType;
    if (type !== 'addVoter' && type !== 'addLearner' && type !== 'removeNode') {
      throw new Error(`propose-conf-change: unknown type ${String(type)}`);
    }
    const nodeId = Number(cmd.positional[2]);
    let r: ProposeResult | null = null;
    this.withEvents(this.node(cmd, 0), out, (n) => {
      r = n.rawNode.proposeConfChange({ type, nodeId });
    });
    out.unshift(describeProposeResult(r));
  }

  /** `partition 1 | 2 3`: messages between the groups are dropped until `heal`. */
  private partition(cmd: Command, out: string[]): void {
    const groups = new Map<NodeId, number>();
    let g = 0;
    for (const tok of cmd.text.split(/\s+/).slice(1)) {
      if (tok === '|') {
        g++;
        continue;
      }
      const id = Number(tok);
      if (!Number.isInteger(id) || id <= 0) throw new Error(`partition: bad node id ${tok}`);
      groups.set(id, g);
    }
    this.groups = groups;
    const parts: string[][] = [];
    for (const [id, grp] of [...groups].sort((a, b) => a[0] - b[0])) {
      const part = parts[grp] ?? [];
      part.push(String(id));
      parts[grp] = part;
    }
    out.push(`partitioned: ${parts.map((p) => `(${p.join(' ')})`).join(' | ')}`);
  }

  private connected(a: NodeId, b: NodeId): boolean {
    if (this.groups === null) return true;
    const ga = this.groups.get(a);
    const gb = this.groups.get(b);
    return ga === undefined || gb === undefined || ga === gb;
  }

  /** `compact 1 index=5`: snapshot the state machine at `index` (which must be applied) and drop the log up to it. */
  private compact(cmd: Command, out: string[]): void {
    const n = this.node(cmd, 0);
    const index = Number(this.named(cmd, 'index'));
    if (index > n.applied) throw new Error(`compact: index ${index} is not applied yet (applied ${n.applied})`);
    n.storage.createSnapshot(index, n.rawNode.status().confState, encoder.encode(`snapshot@${index}`));
    n.storage.compact(index);
    this.raftLog(n, out);
  }

  /** `restart 1`: a crash and restart — a new RawNode from what the storage holds (everything was persisted). */
  private restart(cmd: Command, out: string[]): void {
    const n = this.node(cmd, 0);
    n.outstanding = null; // whatever was not persisted is lost
    n.rawNode = this.newRawNode(n.id, n.storage, n.rng, n.options, n.applied);
    const st = n.rawNode.status();
    out.push(
      `${n.id} restarted: ${st.softState.role} term=${st.hardState.term} vote=${st.hardState.vote} ` +
        `commit=${st.hardState.commit} applied=${st.applied} last=${st.lastIndex} ${describeConf(st.confState)}`,
    );
  }

  /**
   * `crash-after-ready 2`: take a Ready, send its `messages` (allowed before the persist), then
   * crash before anything is durable: nothing is persisted, `messagesAfterPersist` never leave,
   * nothing is applied, and the node restarts from its storage.
   */
  private crashAfterReady(cmd: Command, out: string[]): void {
    const n = this.node(cmd, 0);
    if (n.outstanding !== null) {
      out.push(`${n.id} crashed with its outstanding Ready not persisted`);
      n.outstanding = null;
    } else if (!n.rawNode.hasReady()) {
      out.push('<empty Ready>');
    } else {
      const rd = n.rawNode.ready();
      out.push(...describeReady(rd));
      for (const m of rd.messages) this.queue.push(m);
      out.push(`${n.id} crashed before persisting: ${rd.messagesAfterPersist.length} messagesAfterPersist lost`);
    }
    this.restart(cmd, out);
  }

  private status(n: EnvNode, out: string[]): void {
    const st = n.rawNode.status();
    const r = n.rawNode.raft;
    const timeout = n.rng.lastDrawn ? r.cfg.electionTimeoutTicks + n.rng.lastDrawn.value : 0;
    out.push(
      `${n.id}: ${st.softState.role} term=${st.hardState.term} vote=${st.hardState.vote} lead=${st.softState.lead} ` +
        `commit=${st.hardState.commit} applied=${st.applied} last=${st.lastIndex} ${describeConf(st.confState)}`,
    );
    out.push(
      `  electionElapsed=${r.electionElapsed} randomizedTimeout=${timeout} ` +
        `leadTransferee=${st.leadTransferee} leaseValid=${st.leaseValid}`,
    );
    if (st.softState.role !== 'leader') return;
    for (const [id, pr] of [...r.tracker.progress].sort((a, b) => a[0] - b[0])) {
      const flags: string[] = [];
      if (pr.isLearner) flags.push('learner');
      if (pr.isPaused()) flags.push('paused');
      if (pr.state === 'snapshot') flags.push(`pendingSnapshot=${pr.pendingSnapshot}`);
      if (pr.inflights.count > 0) flags.push(`inflight=${pr.inflights.count}`);
      if (pr.recentActive) flags.push('active');
      out.push(`  ${id}: ${pr.state} match=${pr.match} next=${pr.next}${flags.length ? ` ${flags.join(' ')}` : ''}`);
    }
  }

  private raftLog(n: EnvNode, out: string[]): void {
    const log = n.rawNode.raft.log;
    const ents = log.allEntries();
    if (ents.length === 0) {
      out.push(`log is empty: first index=${log.firstIndex()}, last index=${log.lastIndex()}`);
      return;
    }
    for (const e of ents) out.push(describeEntry(e));
  }

  // ---------------------------------------------------------------- Ready, delivery, stabilize

  /**
   * Handles one Ready completely: persist, send, apply, advance(). `ready` + `advance` do the same
   * in two steps, so that a script can deliver messages to the node while its persist is pending.
   */
  private processReady(n: EnvNode, out: string[], indent: string): boolean {
    if (n.outstanding !== null) throw new Error(`node ${n.id} has an outstanding Ready: use advance ${n.id}`);
    if (!n.rawNode.hasReady()) {
      out.push(`${indent}<empty Ready>`);
      return false;
    }
    const rd = n.rawNode.ready();
    for (const line of describeReady(rd)) out.push(indent + line);
    n.outstanding = rd;
    this.finishReady(n, out, indent);
    return true;
  }

  /** `ready N`: take N's Ready and send its `messages` (allowed before the persist); nothing else yet. */
  private takeReady(n: EnvNode, out: string[]): void {
    if (n.outstanding !== null) throw new Error(`node ${n.id} already has an outstanding Ready`);
    if (!n.rawNode.hasReady()) {
      out.push('<empty Ready>');
      return;
    }
    const rd = n.rawNode.ready();
    out.push(...describeReady(rd));
    for (const m of rd.messages) this.queue.push(m);
    n.outstanding = { ...rd, messages: [] };
  }

  /** `early N` while N's Ready is outstanding: what may leave and be applied before its persist. */
  private takeEarly(n: EnvNode, out: string[]): void {
    if (n.outstanding === null) throw new Error(`node ${n.id} has no outstanding Ready: use ready ${n.id}`);
    const early = n.rawNode.takeEarly();
    if (early.committedEntries.length === 0 && early.messages.length === 0) {
      out.push('<nothing early>');
      return;
    }
    if (early.committedEntries.length > 0) {
      out.push('CommittedEntries (early):');
      for (const e of early.committedEntries) out.push(describeEntry(e));
      n.applied = (early.committedEntries[early.committedEntries.length - 1] as Entry).index;
    }
    if (early.messages.length > 0) {
      out.push('Messages (early):');
      for (const m of early.messages) out.push(describeMessage(m));
      for (const m of early.messages) this.queue.push(m);
    }
  }

  /** The rest of a Ready: persist, send, apply, advance(). */
  private finishReady(n: EnvNode, out: string[], indent: string): void {
    const rd = n.outstanding;
    if (rd === null) throw new Error(`node ${n.id} has no outstanding Ready`);
    n.outstanding = null;
    // persist
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    // send (messagesAfterPersist only now that the persist above is "durable")
    for (const m of rd.messages) this.queue.push(m);
    for (const m of rd.messagesAfterPersist) if (m.to !== n.id) this.queue.push(m);
    // apply
    if (rd.snapshot) n.applied = Math.max(n.applied, rd.snapshot.metadata.index);
    const last = rd.committedEntries[rd.committedEntries.length - 1];
    if (last !== undefined) n.applied = Math.max(n.applied, last.index);
    this.withEvents(n, out, (x) => x.rawNode.advance(), indent);
  }

  private deliverMsgs(id: NodeId, out: string[], indent: string, filter: (m: Message) => boolean): boolean {
    const n = this.mustNode(id);
    const mine: Message[] = [];
    const rest: Message[] = [];
    for (const m of this.queue) (m.to === id && filter(m) ? mine : rest).push(m);
    this.queue = rest;
    for (const m of mine) {
      if (!this.connected(m.from, m.to)) {
        out.push(`${indent}${describeMessage(m)} DROPPED (partition)`);
        continue;
      }
      out.push(indent + describeMessage(m));
      this.withEvents(
        n,
        out,
        (x) => {
          if (!x.rawNode.step(m)) out.push(`${indent}  refused by RawNode.step`);
        },
        `${indent}  `,
      );
    }
    return mine.length > 0;
  }

  private dropMsgs(cmd: Command, out: string[]): void {
    const ids = new Set(this.ids(cmd));
    const f = this.filter(cmd);
    const keep: Message[] = [];
    for (const m of this.queue) {
      if (ids.has(m.to) && f(m)) out.push(`dropped: ${describeMessage(m)}`);
      else keep.push(m);
    }
    this.queue = keep;
  }

  /** Handles Readies and delivers messages among the given nodes (all by default) until quiet. */
  private stabilize(cmd: Command, out: string[]): void {
    const ids = this.ids(cmd);
    for (let round = 0; round < STABILIZE_ROUNDS_MAX; round++) {
      let done = true;
      for (const id of ids) {
        const n = this.mustNode(id);
        if (n.outstanding === null && n.rawNode.hasReady()) {
          done = false;
          out.push(`> ${id} handling Ready`);
          this.processReady(n, out, '  ');
        }
      }
      for (const id of ids) {
        if (!this.queue.some((m) => m.to === id)) continue;
        done = false;
        out.push(`> ${id} receiving messages`);
        this.deliverMsgs(id, out, '  ', () => true);
      }
      if (done) return;
    }
    throw new Error(`stabilize did not settle within ${STABILIZE_ROUNDS_MAX} rounds`);
  }

  // ---------------------------------------------------------------- events

  private observe(n: EnvNode): Observed {
    const r = n.rawNode.raft;
    return {
      role: r.role,
      term: r.term,
      vote: r.vote,
      conf: describeConf(r.confState()),
      leadTransferee: r.leadTransferee,
    };
  }

  /** Runs `f` on node `n` and prints the role, term, vote, configuration and transfer changes it caused. */
  private withEvents(n: EnvNode, out: string[], f: (n: EnvNode) => void, indent = ''): void {
    const before = this.observe(n);
    f(n);
    const after = this.observe(n);
    const id = n.id;
    if (after.role !== before.role || after.term !== before.term) {
      out.push(`${indent}INFO ${id} became ${after.role} at term ${after.term}`);
    }
    if (after.vote !== before.vote && after.vote !== 0 && !(after.role === 'candidate' && after.vote === id)) {
      out.push(`${indent}INFO ${id} voted for ${after.vote} at term ${after.term}`);
    }
    if (after.conf !== before.conf) out.push(`${indent}INFO ${id} switched to configuration ${after.conf}`);
    if (after.leadTransferee !== before.leadTransferee) {
      out.push(
        after.leadTransferee === 0
          ? `${indent}INFO ${id} leadership transfer to ${before.leadTransferee} ended`
          : `${indent}INFO ${id} started leadership transfer to ${after.leadTransferee}`,
      );
    }
  }
}

// ---------------------------------------------------------------- descriptions

function parseIdList(v: string | undefined): NodeId[] {
  if (v === undefined) return [];
  const inner = v.replace(/^\(/, '').replace(/\)$/, '').trim();
  if (inner === '') return [];
  return inner.split(/[,\s]+/).map((s) => {
    const id = Number(s);
    if (!Number.isInteger(id) || id <= 0) throw new Error(`bad node id ${s} in ${v}`);
    return id;
  });
}

export function describeConf(cs: ConfState): string {
  const l = cs.learners.length > 0 ? ` learners=(${cs.learners.join(' ')})` : '';
  return `voters=(${cs.voters.join(' ')})${l}`;
}

export function describeEntry(e: Entry): string {
  if (e.type === 'confChange') {
    const cc = decodeConfChange(e.data);
    return `${e.term}/${e.index} EntryConfChange ${cc ? `${cc.type} ${cc.nodeId}` : '<undecodable>'}`;
  }
  return `${e.term}/${e.index} EntryNormal ${JSON.stringify(decoder.decode(e.data))}`;
}

function describeSnapshot(s: Snapshot): string {
  const cs = s.metadata.confState;
  return `Index:${s.metadata.index} Term:${s.metadata.term} Voters:[${cs.voters.join(' ')}] Learners:[${cs.learners.join(' ')}]`;
}

function describeHardState(hs: HardState): string {
  return `HardState Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type as MessageType} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(', ')}]`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.snapshot !== null) s += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
  if (m.ctx !== '') s += ` Ctx:${JSON.stringify(m.ctx)}`;
  if (m.readId !== 0) s += ` ReadId:${m.readId}`;
  if (m.leaseTick !== 0) s += ` LeaseTick:${m.leaseTick}`;
  return s;
}

export function describeReady(rd: Ready): string[] {
  const out = [`Ready MustSync=${rd.mustSync}:`];
  if (rd.softState) out.push(`Lead:${rd.softState.lead} State:${rd.softState.role}`);
  if (rd.hardState) out.push(describeHardState(rd.hardState));
  if (rd.entries.length > 0) {
    out.push('Entries:');
    for (const e of rd.entries) out.push(describeEntry(e));
  }
  if (rd.snapshot) out.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0) {
    out.push('CommittedEntries:');
    for (const e of rd.committedEntries) out.push(describeEntry(e));
  }
  if (rd.messages.length > 0) {
    out.push('Messages:');
    for (const m of rd.messages) out.push(describeMessage(m));
  }
  if (rd.messagesAfterPersist.length > 0) {
    out.push('MessagesAfterPersist:');
    for (const m of rd.messagesAfterPersist) out.push(describeMessage(m));
  }
  if (rd.readStates.length > 0) {
    out.push('ReadStates:');
    for (const r of rd.readStates) out.push(`Index:${r.index} Ctx:${JSON.stringify(r.ctx)}`);
  }
  return out;
}

function describeProposeResult(r: ProposeResult | null): string {
  if (r === null) return 'error: no result';
  return r.ok ? `ok index=${r.index} term=${r.term}` : `refused: ${r.reason}`;
}
