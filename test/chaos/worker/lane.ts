/**
 * One lane of a worker: Jepsen's "process". It runs the tasks the harness sends, one at a time,
 * each on a session of its own (opened for the task, closed after it), and records each client operation
 * it makes through the SDK: acquire / tryAcquire / campaign and the reads, with invoke and return
 * times on the run's clock and the node the client was connected to. Releases, resigns,
 * proclaims and closes are recorded from the wire (wire-recorder.ts), with the server's answer.
 *
 * Outcome rules (the checker's): an answer the SDK returned is recorded as is; an error on an
 * operation that may have changed something (acquire, campaign) is recorded as unknown (`null`),
 * because the SDK's TIMEOUT/UNAVAILABLE/SESSION_EXPIRED may come from its own clock while the
 * request is still on its way — and then the lane closes its session, so that whatever the
 * request did is undone by a close the history also shows.
 */
import { type BatonClient, BatonError, type Leadership, type Lock, type Session } from '@baton/sdk';
import { sleep } from '../clock.js';
import { parseSet } from '../workload/fenced-store.js';
import type { HistoryRecord, HoldReport, StoreOp, StoreReply, Task, TaskOutcome } from './protocol.js';
import type { WireRecorder } from './wire-recorder.js';

export interface LaneDeps {
  readonly client: BatonClient;
  readonly recorder: WireRecorder;
  readonly now: () => number;
  readonly emit: (rec: HistoryRecord) => void;
  readonly reportHold: (hold: HoldReport) => void;
  readonly store: (op: StoreOp, name: string, token: number, value: string | null) => Promise<StoreReply>;
  readonly nodeOf: (url: string | null) => string | undefined;
  readonly ttlMs: number;
  /** Sessions claimed by lanes: sessionId → lane client id. */
  readonly owners: Map<string, string>;
}

type Acquired<H> = { kind: 'held'; hold: H } | { kind: 'notAcquired' } | { kind: 'unknown' } | { kind: 'noSession' };

export class Lane {
  private session: Session | null = null;

  constructor(
    readonly client: string,
    readonly process: number,
    private readonly deps: LaneDeps,
  ) {}

  async run(task: Task): Promise<TaskOutcome> {
    if (task.kind === 'read') {
      await this.read(task);
      return 'done';
    }
    // a session per task: its end then concerns one name only, which keeps the check cheap
    try {
      switch (task.kind) {
        case 'lockSet':
          return await this.lockSet(task);
        case 'lock':
          return await this.plainLock(task);
        case 'semaphore':
          return await this.semaphore(task);
        case 'election':
          return await this.election(task);
      }
    } finally {
      await this.closeSession();
    }
  }

  /** Closes the lane's session (the end of the run). */
  async closeSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s !== null) await s.close();
  }

  // ------------------------------------------------------------------ tasks

  private async lockSet(task: Extract<Task, { kind: 'lockSet' }>): Promise<TaskOutcome> {
    const got = await this.acquire(task.name, 1, task.wait, task.timeoutMs, 'lock');
    if (got.kind !== 'held') return outcomeOf(got);
    const lock = got.hold;
    try {
      // fence older holders out before reading: their late writes are refused from here on
      const advanced = await this.storeStep(lock, 'advance', null);
      if (advanced === null) return 'lost';
      if (!advanced.accepted) return 'fenced';
      const read = await this.storeStep(lock, 'read', null);
      if (read === null) return 'lost';
      await sleep(task.holdMs / 2, lock.signal);
      const next = JSON.stringify([...parseSet(read.value), task.element].sort());
      const written = await this.storeStep(lock, 'write', next);
      if (written === null) return 'lost';
      if (!written.accepted) return 'fenced';
      await sleep(task.holdMs / 2, lock.signal);
      return lock.held ? 'done' : 'lost';
    } finally {
      await this.release(lock);
    }
  }

  private async plainLock(task: Extract<Task, { kind: 'lock' }>): Promise<TaskOutcome> {
    const got = await this.acquire(task.name, 1, task.wait, task.timeoutMs, 'lock');
    if (got.kind !== 'held') return outcomeOf(got);
    const lock = got.hold;
    try {
      const slices = task.fenceChecks + 1;
      for (let i = 0; i < slices; i++) {
        await sleep(task.holdMs / slices, lock.signal);
        if (!lock.held) return 'lost';
        if (i < task.fenceChecks)
          await this.read({ kind: 'read', what: 'fenceCheck', name: task.name, token: lock.token });
      }
      return 'done';
    } finally {
      await this.release(lock);
    }
  }

  private async semaphore(task: Extract<Task, { kind: 'semaphore' }>): Promise<TaskOutcome> {
    const got = await this.acquire(task.name, task.limit, true, task.timeoutMs, 'semaphore');
    if (got.kind !== 'held') return outcomeOf(got);
    try {
      await sleep(task.holdMs, got.hold.signal);
      return got.hold.held ? 'done' : 'lost';
    } finally {
      await this.release(got.hold);
    }
  }

  private async election(task: Extract<Task, { kind: 'election' }>): Promise<TaskOutcome> {
    const got = await this.campaign(task.name, task.value, task.timeoutMs);
    if (got.kind !== 'held') return outcomeOf(got);
    const lead = got.hold;
    try {
      for (const value of task.proclaims) {
        await sleep(task.holdMs / (task.proclaims.length + 1), lead.signal);
        if (!lead.isLeader) return 'lost';
        try {
          await lead.proclaim(value);
        } catch (err) {
          if (!isCode(err, 'NOT_HOLDER')) await this.dropSession();
          return 'lost';
        }
      }
      await sleep(task.holdMs / (task.proclaims.length + 1), lead.signal);
      return lead.isLeader ? 'done' : 'lost';
    } finally {
      try {
        await lead.resign();
      } catch {
        await this.dropSession();
      }
    }
  }

  private async read(task: Extract<Task, { kind: 'read' }>): Promise<void> {
    const { client } = this.deps;
    const invokeMs = this.deps.now();
    let op: string = task.what;
    let args: Record<string, unknown> = {};
    let result: Record<string, unknown>;
    try {
      switch (task.what) {
        case 'describe': {
          const d = await client.describe(task.name);
          result = { holders: d.holders.map((h) => ({ session: h.sessionId, token: h.token })) };
          break;
        }
        case 'leader': {
          const l = await client.leader(task.name);
          result = { leader: l === null ? null : { session: l.sessionId, value: l.value, term: l.term } };
          break;
        }
        case 'fenceCheck':
          op = 'fenceCheck';
          args = { token: task.token };
          result = { current: await client.checkFence(task.name, task.token) };
          break;
      }
    } catch (err) {
      // a read changes nothing: its error is as good as definite
      result = { error: { code: err instanceof BatonError ? err.code : 'INTERNAL' } };
    }
    this.record(op, task.name, args, invokeMs, result);
  }

  // ------------------------------------------------------------------ recorded operations

  private async acquire(
    name: string,
    limit: number,
    wait: boolean,
    timeoutMs: number,
    kind: 'lock' | 'semaphore',
  ): Promise<Acquired<Lock>> {
    const session = await this.ensureSession();
    if (session === null) return { kind: 'noSession' };
    const invokeMs = this.deps.now();
    const args = { session: session.id, limit, wait };
    let lock: Lock | null;
    try {
      lock = wait ? await session.acquire(name, { limit, timeoutMs }) : await session.tryAcquire(name, { limit });
    } catch {
      this.record(wait ? 'acquire' : 'tryAcquire', name, args, invokeMs, null);
      await this.dropSession();
      return { kind: 'unknown' };
    }
    const returnMs = this.deps.now();
    this.record(
      wait ? 'acquire' : 'tryAcquire',
      name,
      args,
      invokeMs,
      lock === null ? { acquired: false } : { acquired: true, token: lock.token, generation: lock.generation },
      returnMs,
    );
    if (lock === null) return { kind: 'notAcquired' };
    this.trackHold(lock.signal, { session: session.id, name, kind, limit, token: lock.token, grantedMs: returnMs });
    return { kind: 'held', hold: lock };
  }

  private async campaign(name: string, value: string, timeoutMs: number): Promise<Acquired<Leadership>> {
    const session = await this.ensureSession();
    if (session === null) return { kind: 'noSession' };
    const invokeMs = this.deps.now();
    const args = { session: session.id, value };
    let lead: Leadership;
    try {
      lead = await session.campaign(name, value, { timeoutMs });
    } catch {
      this.record('campaign', name, args, invokeMs, null);
      await this.dropSession();
      return { kind: 'unknown' };
    }
    const returnMs = this.deps.now();
    this.record('campaign', name, args, invokeMs, { term: lead.term }, returnMs);
    this.trackHold(lead.signal, {
      session: session.id,
      name,
      kind: 'election',
      limit: 1,
      token: lead.term,
      grantedMs: returnMs,
    });
    return { kind: 'held', hold: lead };
  }

  private async release(lock: Lock): Promise<void> {
    try {
      await lock.release();
    } catch {
      // unknown outcome (recorded from the wire): start over with a fresh session
      await this.dropSession();
    }
  }

  /** A store step, only while the lock is believed held; null once it is not. */
  private async storeStep(lock: Lock, op: StoreOp, value: string | null): Promise<StoreReply | null> {
    if (!lock.held) return null;
    return this.deps.store(op, lock.name, lock.token, value);
  }

  private trackHold(signal: AbortSignal, hold: Omit<HoldReport, 'client' | 'endedMs' | 'endReason'>): void {
    const report: HoldReport = { client: this.client, endedMs: null, endReason: null, ...hold };
    const onAbort = (): void => {
      report.endedMs = this.deps.now();
      report.endReason = signal.reason instanceof BatonError ? signal.reason.code : 'ABORTED';
      this.deps.reportHold(report);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }

  private record(
    op: string,
    name: string,
    args: Record<string, unknown>,
    invokeMs: number,
    result: Record<string, unknown> | null,
    returnMs: number = this.deps.now(),
  ): void {
    const node = this.deps.nodeOf(this.deps.client.connectedEndpoint);
    this.deps.emit({
      client: this.client,
      process: this.process,
      ...(node === undefined ? {} : { node }),
      invokeMs,
      returnMs,
      op,
      name,
      args,
      result,
    });
  }

  // ------------------------------------------------------------------ session

  private async ensureSession(): Promise<Session | null> {
    if (this.session !== null && this.session.state === 'open') return this.session;
    this.session = null;
    try {
      const s = await this.deps.client.session({ ttlMs: this.deps.ttlMs, label: this.client });
      this.deps.owners.set(s.id, this.client);
      s.signal.addEventListener(
        'abort',
        () => {
          const reason = s.signal.reason instanceof BatonError ? s.signal.reason.code : 'ABORTED';
          this.deps.recorder.sessionEnded(s.id, reason, this.deps.now());
        },
        { once: true },
      );
      this.session = s;
      return s;
    } catch {
      return null;
    }
  }

  private async dropSession(): Promise<void> {
    await this.closeSession();
  }
}

function outcomeOf(got: { kind: 'notAcquired' | 'unknown' | 'noSession' }): TaskOutcome {
  return got.kind;
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof BatonError && err.code === code;
}
