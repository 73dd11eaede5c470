/**
 * Test support (not part of the build's entry points): drives a CoordinationFsm entry by entry
 * the way a node does, with a log index counter, per-client sequence numbers and a wall clock
 * that only describe reads, and checks the invariants and the history after every entry.
 */
import { encodeEnvelope } from './envelope.js';
import { CoordinationFsm, checkFsmInvariants } from './fsm.js';
import { FsmHistoryChecker } from './history.js';
import type { Actor, ApplyOutput, Command, CommandResultOf, CommandValues, FsmEvent, Op } from './types.js';

export class FsmHarness {
  fsm = new CoordinationFsm();
  /** The next entry's index is index + 1. Indexes may be skipped (conf changes, empty entries). */
  index = 0;
  atMs = 1_000_000;
  readonly history = new FsmHistoryChecker();
  private readonly seqs = new Map<string, number>();
  /** Check invariants and history after every entry (off for bulk fills: the checks are O(state)). */
  checks = true;
  /** Events of the last entry. */
  events: FsmEvent[] = [];

  /** Applies raw bytes as the next entry and checks everything. */
  applyBytes(data: Uint8Array, skip = 0): ApplyOutput {
    this.index += 1 + skip;
    const out = this.fsm.apply(this.index, data);
    const broken = this.checks ? [...checkFsmInvariants(this.fsm), ...this.history.observe(this.index, data, out)] : [];
    if (broken.length > 0) throw new Error(`after entry ${this.index}: ${broken.join('; ')}`);
    this.events = out.events;
    return out;
  }

  /** A client command with the client's next seq (or the seq given, for retries). */
  client<O extends Op>(clientId: string, cmd: Extract<Command, { op: O }>, seq?: number): CommandResultOf<O> {
    return this.clientAs(undefined, clientId, cmd, seq);
  }

  /** A client command proposed for `actor` (a token's identity; auth on). */
  clientAs<O extends Op>(
    actor: Actor | undefined,
    clientId: string,
    cmd: Extract<Command, { op: O }>,
    seq?: number,
  ): CommandResultOf<O> {
    const s = seq ?? (this.seqs.get(clientId) ?? 0) + 1;
    this.seqs.set(clientId, Math.max(s, this.seqs.get(clientId) ?? 0));
    const env = { clientId, seq: s, atMs: this.atMs, cmd, ...(actor === undefined ? {} : { actor }) };
    const out = this.applyBytes(encodeEnvelope(env));
    return out.result as CommandResultOf<O>;
  }

  /** The client's last seq, to retry it. */
  lastSeq(clientId: string): number {
    return this.seqs.get(clientId) ?? 0;
  }

  /** A leader-proposed command (clientId '', seq 0). */
  leader<O extends Op>(cmd: Extract<Command, { op: O }>): CommandResultOf<O> {
    return this.applyBytes(encodeEnvelope({ clientId: '', seq: 0, atMs: this.atMs, cmd })).result as CommandResultOf<O>;
  }

  /** The value of a command that must succeed. */
  ok<O extends Op>(clientId: string, cmd: Extract<Command, { op: O }>): CommandValues[O] {
    const r = this.client(clientId, cmd);
    if (!r.ok) throw new Error(`${cmd.op} failed: ${r.code} ${r.message}`);
    return r.value;
  }

  open(ttlMs = 10_000, clientId = 'c'): number {
    return this.ok(clientId, { op: 'openSession', ttlMs }).sessionId;
  }

  acquire(
    sessionId: number,
    name: string,
    opts: { limit?: number; wait?: boolean; lockDelayMs?: number; clientId?: string } = {},
  ): CommandValues['acquire'] {
    return this.ok(opts.clientId ?? 'c', {
      op: 'acquire',
      sessionId,
      name,
      limit: opts.limit ?? 1,
      wait: opts.wait ?? true,
      lockDelayMs: opts.lockDelayMs ?? 0,
    });
  }

  /** The token of an acquire that must be granted at once. */
  lock(sessionId: number, name: string, opts: { limit?: number; lockDelayMs?: number } = {}): number {
    const v = this.acquire(sessionId, name, opts);
    if (!v.acquired) throw new Error(`${name} not granted to ${sessionId}`);
    return v.token;
  }

  release(sessionId: number, name: string, token: number): CommandResultOf<'release'> {
    return this.client('c', { op: 'release', sessionId, name, token });
  }

  /**
   * The snapshot without its applied index (bytes 5..12): equal before and after an entry that
   * changed nothing. Client commands record their answer in the dedup table, so compare around
   * leader-proposed ones.
   */
  state(): string {
    const b = this.fsm.snapshot();
    b.fill(0, 5, 13);
    return Buffer.from(b).toString('hex');
  }

  /** The grants of the last entry. */
  grants(): { sessionId: number; name: string; token: number; generation: number }[] {
    return this.events.flatMap((e) =>
      e.kind === 'granted' ? [{ sessionId: e.sessionId, name: e.name, token: e.token, generation: e.generation }] : [],
    );
  }
}
