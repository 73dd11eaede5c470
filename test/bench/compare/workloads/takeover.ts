/**
 * Workload 5: crash takeover. A holder process takes the lock with the smallest TTL the system
 * accepts; a waiter in this process queues behind it; the holder is SIGKILLed at a seeded random
 * point of its keepalive cycle, and the time runs until the waiter holds the lock.
 */
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { SimRng } from '../../../sim/rng.js';
import type { HeldLock } from '../clients/lock-client.js';
import { trackPid, untrackPid } from '../proc/cleanup.js';
import { max, percentile, round } from '../stats.js';
import type { WorkloadContext, WorkloadOutput } from './context.js';
import { HOLDER_READY_LINE, type HolderSpec } from './holder.js';
import { waitParticipants } from './participants.js';
import { SessionPool } from './pool.js';

/** The holder must hold the lock within this after it starts. */
const HOLDER_READY_TIMEOUT_MS = 30_000;
/** Beyond the TTL, how long a takeover may take before the trial counts as failed. */
const TAKEOVER_SLACK_MS = 30_000;
const SEED = 5;

function startHolder(ctx: WorkloadContext, spec: HolderSpec): Promise<{ kill: () => void }> {
  const child = spawn(
    process.execPath,
    [ctx.holderCommand.modulePath, ...ctx.holderCommand.args, JSON.stringify(spec)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const pid = child.pid;
  if (pid !== undefined) trackPid(pid);
  child.on('exit', () => {
    if (pid !== undefined) untrackPid(pid);
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the holder did not take ${spec.name} within ${HOLDER_READY_TIMEOUT_MS} ms:\n${output}`));
    }, HOLDER_READY_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (output.split('\n').includes(HOLDER_READY_LINE)) {
        clearTimeout(timer);
        resolve({ kill: () => child.kill('SIGKILL') });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the holder exited (${code}) before holding ${spec.name}:\n${output}`));
    });
  });
}

export async function crashTakeover(ctx: WorkloadContext): Promise<WorkloadOutput> {
  const { plan, system } = ctx;
  const ttlMs = system.minTtlMs;
  const rng = new SimRng(SEED);
  const samples: number[] = [];
  for (let trial = 0; trial < plan.takeoverTrials; trial++) {
    ctx.progress.update(`trial ${trial + 1}/${plan.takeoverTrials}, TTL ${ttlMs} ms`);
    const name = `${ctx.namePrefix}/t${trial}`;
    const holder = await startHolder(ctx, { connect: system.connectSpec, ttlMs, name });
    const pool = await SessionPool.open(system.connectSpec, 1, 1, plan.workTtlMs, 1);
    try {
      let grantedAt = 0;
      const granted = pool
        .session(0)
        .acquire(name)
        .then((lock) => {
          grantedAt = performance.now();
          return lock;
        });
      await waitParticipants(pool.admin, name, 'lock', 2);
      // a random point of the holder's keepalive cycle (keepalives go every TTL / 3)
      await delay(rng.float() * (ttlMs / 3));
      const killedAt = performance.now();
      holder.kill();
      const timeout = delay(ttlMs + TAKEOVER_SLACK_MS).then(() => null);
      const lock: HeldLock | null = await Promise.race([granted, timeout]);
      if (lock === null) throw new Error(`no takeover of ${name} within TTL + ${TAKEOVER_SLACK_MS} ms`);
      samples.push(grantedAt - killedAt);
      await lock.release();
    } finally {
      holder.kill();
      await pool.close();
    }
  }
  return {
    metrics: {
      'takeover.ttlMs': ttlMs,
      'takeover.p50Ms': round(percentile(samples, 50)),
      'takeover.maxMs': round(max(samples)),
    },
    details: { takeover: { ttlMs, samplesMs: samples.map(round) } },
    notes: [],
  };
}
