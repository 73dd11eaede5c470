/**
 * Workload 5: a holder process (holder.ts) takes a lock with a short TTL and is SIGKILLed; a
 * waiter in this process is queued behind it → the time from the kill until the waiter's
 * acquire() returns. The session TTL restarts at every keepalive the leader receives, so the
 * takeover lies between TTL − keepalive interval and TTL, plus expiry detection and one commit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../cluster/harness.js';
import { closeClients, connectClients, now, type RunContext, sleep, type WorkloadResult } from './context.js';
import { median, round } from './stats.js';

const LOCK = 'load/takeover';
/** The holder is built next to this file's bundle (test/dist/bench/). */
const HOLDER = join(dirname(fileURLToPath(import.meta.url)), 'load-holder.js');

export async function runTakeover(ctx: RunContext): Promise<WorkloadResult> {
  const ttlMs = ctx.opts.ttlMs;
  const [client] = await connectClients(ctx, 1);
  const waiter = await client!.session({ ttlMs: 10_000 });
  const samples: number[] = [];
  let unsafe = 0;
  try {
    for (let t = 0; t < ctx.opts.trials; t++) {
      const { child, token } = await startHolder(ctx.cluster.endpoints, ttlMs);
      const acquiring = waiter.acquire(LOCK);
      await waitFor(
        'the waiter queued',
        async () => ((await client!.describe(LOCK)).waiters.length >= 1 ? true : null),
        10_000,
        5,
      );
      // a random point in the keepalive cycle, like a real crash
      await sleep(Math.floor(Math.random() * (ttlMs / 3)));
      const killedAt = now();
      child.kill('SIGKILL');
      const lock = await acquiring;
      const ms = now() - killedAt;
      samples.push(round(ms, 1));
      if (lock.token <= token) unsafe += 1;
      ctx.progress(
        `trial ${t + 1}/${ctx.opts.trials}: takeover ${round(ms, 1)} ms (TTL ${ttlMs} ms), token ${token} → ${lock.token}`,
      );
      await lock.release();
    }
  } finally {
    await closeClients([client!]);
  }
  return {
    workload: 'takeover',
    ttlMs,
    trials: samples.length,
    takeoverP50Ms: median(samples),
    takeoverMaxMs: Math.max(...samples),
    overTtlMaxMs: round(Math.max(...samples) - ttlMs, 1),
    samplesMs: samples,
    tokenNotIncreasing: unsafe,
  };
}

function startHolder(endpoints: readonly string[], ttlMs: number): Promise<{ child: ChildProcess; token: number }> {
  const child = spawn(process.execPath, [HOLDER, endpoints.join(','), LOCK, String(ttlMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the holder did not take the lock within 15 s'));
    }, 15_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, token: (JSON.parse(line) as { token: number }).token });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the holder exited (${code}) before it held the lock`));
    });
  });
}
