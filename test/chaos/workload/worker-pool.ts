/**
 * The harness's side of the client workers: forks them, hands them tasks, answers their fenced
 * store calls, collects their records, and pauses/continues them for the nemesis (keeping every
 * pause interval: a holder paused when its lock moved on is excused by the handover check).
 */

import { type ChildProcess, fork } from 'node:child_process';
import { trackChild } from '../cluster/child-registry.js';
import type {
  FromWorker,
  HistoryRecord,
  HoldReport,
  SessionReport,
  Task,
  TaskOutcome,
  ToWorker,
  WorkerInit,
} from '../worker/protocol.js';
import type { FencedStore } from './fenced-store.js';

/** How to start a worker: a module that calls runWorker(), with its arguments. */
export interface WorkerCommand {
  readonly modulePath: string;
  readonly args: readonly string[];
}

export interface PauseInterval {
  readonly startMs: number;
  endMs: number | null;
}

export interface WorkerProblem {
  readonly worker: number;
  readonly kind: string;
  readonly message: string;
  readonly atMs: number;
}

export interface PoolSinks {
  readonly record: (rec: HistoryRecord) => void;
  readonly hold: (hold: HoldReport) => void;
  readonly session: (session: SessionReport) => void;
  readonly problem: (problem: WorkerProblem) => void;
}

/** A worker that has not said `ready` within this time failed to start. */
const READY_TIMEOUT_MS = 20_000;
/** Bound on the orderly end of a worker (closing its sessions, flushing records). */
const FINISH_TIMEOUT_MS = 20_000;

export class WorkerHandle {
  readonly pauses: PauseInterval[] = [];
  /** When the worker could not run its timers (its own report; SIGSTOPs show up here too). */
  readonly stalls: PauseInterval[] = [];
  private readonly taskWaiters = new Map<number, (o: TaskOutcome) => void>();
  private nextTaskId = 0;
  private finished: (() => void) | null = null;
  private exited = false;
  stderr = '';

  constructor(
    readonly id: number,
    readonly proc: ChildProcess,
    private readonly now: () => number,
  ) {
    proc.stderr?.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-20_000);
    });
    proc.on('exit', () => {
      this.exited = true;
      for (const resolve of this.taskWaiters.values()) resolve('failed');
      this.taskWaiters.clear();
      this.finished?.();
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  get paused(): boolean {
    const last = this.pauses.at(-1);
    return last !== undefined && last.endMs === null;
  }

  send(msg: ToWorker): void {
    if (!this.exited && this.proc.connected) this.proc.send(msg);
  }

  runTask(lane: number, task: Task): Promise<TaskOutcome> {
    if (this.exited) return Promise.resolve('failed');
    const taskId = ++this.nextTaskId;
    return new Promise((resolve) => {
      this.taskWaiters.set(taskId, resolve);
      this.send({ t: 'task', lane, taskId, task });
    });
  }

  taskDone(taskId: number, outcome: TaskOutcome): void {
    const resolve = this.taskWaiters.get(taskId);
    this.taskWaiters.delete(taskId);
    resolve?.(outcome);
  }

  pause(): void {
    if (this.exited || this.paused) return;
    this.proc.kill('SIGSTOP');
    this.pauses.push({ startMs: this.now(), endMs: null });
  }

  resume(): void {
    const last = this.pauses.at(-1);
    if (last !== undefined && last.endMs === null) last.endMs = this.now();
    if (!this.exited) this.proc.kill('SIGCONT');
  }

  /** Asks the worker to close its sessions and flush; kills it if it does not finish in time. */
  async finish(): Promise<void> {
    if (this.exited) return;
    this.resume();
    const done = new Promise<void>((resolve) => {
      this.finished = resolve;
    });
    this.send({ t: 'finish' });
    const timer = setTimeout(() => this.finished?.(), FINISH_TIMEOUT_MS);
    await done;
    clearTimeout(timer);
    await this.kill();
  }

  onFinished(): void {
    this.finished?.();
  }

  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGKILL');
    await exited;
  }
}

export class WorkerPool {
  private constructor(readonly workers: readonly WorkerHandle[]) {}

  static async start(
    command: WorkerCommand,
    count: number,
    init: (workerId: number) => WorkerInit,
    store: FencedStore,
    sinks: PoolSinks,
    now: () => number,
  ): Promise<WorkerPool> {
    const workers: WorkerHandle[] = [];
    const ready: Promise<void>[] = [];
    for (let id = 1; id <= count; id++) {
      const proc = fork(command.modulePath, [...command.args], {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
      });
      trackChild(proc);
      const handle = new WorkerHandle(id, proc, now);
      workers.push(handle);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`worker ${id} not ready: ${handle.stderr}`)),
            READY_TIMEOUT_MS,
          );
          proc.on('message', (raw: unknown) => {
            const msg = raw as FromWorker;
            if (msg.t === 'ready') {
              clearTimeout(timer);
              resolve();
              return;
            }
            route(handle, msg, store, sinks);
          });
          proc.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`worker ${id} exited (${code}) before it was ready: ${handle.stderr}`));
          });
        }),
      );
      handle.send({ t: 'init', init: init(id) });
    }
    const pool = new WorkerPool(workers);
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.killAll();
      throw err;
    }
    return pool;
  }

  get(id: number): WorkerHandle {
    const w = this.workers.find((x) => x.id === id);
    if (w === undefined) throw new Error(`no worker ${id}`);
    return w;
  }

  resumeAll(): void {
    for (const w of this.workers) if (w.paused) w.resume();
  }

  async finishAll(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.finish()));
  }

  async killAll(): Promise<void> {
    for (const w of this.workers) if (w.paused) w.resume();
    await Promise.all(this.workers.map((w) => w.kill()));
  }
}

function route(worker: WorkerHandle, msg: FromWorker, store: FencedStore, sinks: PoolSinks): void {
  switch (msg.t) {
    case 'op':
      sinks.record(msg.rec);
      return;
    case 'store': {
      const reply = store.apply(msg.client, msg.process, msg.op, msg.name, msg.token, msg.value);
      worker.send({ t: 'storeReply', reqId: msg.reqId, reply });
      return;
    }
    case 'taskDone':
      worker.taskDone(msg.taskId, msg.outcome);
      return;
    case 'hold':
      sinks.hold(msg.hold);
      return;
    case 'session':
      sinks.session(msg.session);
      return;
    case 'problem':
      sinks.problem({ worker: worker.id, kind: msg.kind, message: msg.message, atMs: msg.atMs });
      return;
    case 'finished':
      worker.onFinished();
      return;
    case 'stall':
      worker.stalls.push({ startMs: msg.startMs, endMs: msg.endMs });
      return;
    case 'ready':
      return;
  }
}
