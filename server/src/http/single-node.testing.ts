/**
 * Test support: one Coordinator (a single-voter cluster) on a manual clock and fake timers, with
 * a helper that drives time until a command is applied. Callers install the fake timers.
 */
import { vi } from 'vitest';
import type { Command } from '../fsm/index.js';
import { ManualClock } from '../node/clock.js';
import { Coordinator } from '../node/coordinator.js';
import { silentLogger } from '../node/logger.js';
import { MemoryNodeStorage } from '../node/node-storage.js';
import { bootstrapLog } from '../raft/confchange.js';

export const TICK_MS = 10;
export const FAKE_TIMERS: Parameters<typeof vi.useFakeTimers>[0] = {
  toFake: ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'],
};

export interface SingleNode {
  readonly clock: ManualClock;
  readonly coordinator: Coordinator;
  advance(ms: number): Promise<void>;
  /** Submits and drives time until applied; throws if the result is an error. */
  submit(clientId: string, seq: number, cmd: Command): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startSingleNode(): Promise<SingleNode> {
  const clock = new ManualClock();
  const storage = new MemoryNodeStorage();
  const boot = bootstrapLog([1]);
  await storage.persist({ entries: boot.entries, hardState: boot.hardState, snapshot: null });
  let seed = 7;
  const coordinator = new Coordinator({
    id: 1,
    storage,
    transport: { send: () => {}, onReceive: () => {}, onUnreachable: () => {} },
    clock,
    rng: {
      nextInt: (min, max) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return min + (seed % Math.max(1, max - min));
      },
    },
    logger: silentLogger(),
    tickMs: TICK_MS,
    electionTimeoutTicks: 10,
    heartbeatTicks: 1,
    snapshotEveryEntries: 10_000,
    readTimeoutMs: 1_000,
  });
  coordinator.start();
  const advance = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += TICK_MS / 2) {
      clock.advance(TICK_MS / 2);
      await vi.advanceTimersByTimeAsync(TICK_MS / 2);
    }
  };
  for (let i = 0; i < 200 && !(coordinator.node.isLeader && coordinator.node.leaseRemainingMs() > 0); i++) {
    await advance(TICK_MS);
  }
  if (!coordinator.node.isLeader) throw new Error('the single node did not become leader');
  const submit = async (clientId: string, seq: number, cmd: Command): Promise<Record<string, unknown>> => {
    const p = coordinator.submit(clientId, seq, cmd);
    let done = false;
    p.finally(() => {
      done = true;
    }).catch(() => {});
    for (let i = 0; i < 200 && !done; i++) await advance(TICK_MS);
    const r = await p;
    if (!r.ok) throw new Error(`${cmd.op} failed: ${r.code} ${r.message}`);
    return r.value as unknown as Record<string, unknown>;
  };
  return { clock, coordinator, advance, submit, stop: () => coordinator.stop() };
}
