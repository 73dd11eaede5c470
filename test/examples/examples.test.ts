/**
 * Every example runs as a newcomer would run it (`node examples/<name>/index.mjs`) and must tell
 * its story to the end: exit 0 and the key lines. Against a TestCluster through BATON_ENDPOINTS,
 * and once without, so that the embedded cluster of examples/_shared is exercised too.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from '../cluster/harness.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLUSTER_HOOK_TIMEOUT_MS = 60_000;
/** An example tells its story in a few seconds; a loaded CI machine gets a generous bound. */
const EXAMPLE_TIMEOUT_MS = 90_000;

let cluster: TestCluster;
let endpoints: string;

beforeAll(async () => {
  cluster = await TestCluster.start(3);
  endpoints = cluster.nodes.map((n) => `ws://127.0.0.1:${n.port}`).join(',');
}, CLUSTER_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.stop();
}, CLUSTER_HOOK_TIMEOUT_MS);

interface ExampleRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** Runs one example to its end (killed after EXAMPLE_TIMEOUT_MS); stdout and stderr interleaved. */
function runExample(name: string, extraEnv: Record<string, string>): Promise<ExampleRun> {
  // none of our BATON_* or REDIS_URL: the example sees only what the test gives it
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_') && k !== 'REDIS_URL'),
  );
  const child = spawn(process.execPath, [`examples/${name}/index.mjs`], {
    cwd: REPO_ROOT,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), EXAMPLE_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

describe('examples', { timeout: EXAMPLE_TIMEOUT_MS + 10_000 }, () => {
  it('cron-guard: one replica runs the job each tick; the shell form exits 75 when busy', async () => {
    const run = await runExample('cron-guard', { BATON_ENDPOINTS: endpoints });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`cluster: BATON_ENDPOINTS=${endpoints}`);
    for (const tick of [1, 2, 3]) {
      expect(run.output).toContain(`✓ tick ${tick}: the job ran exactly once`);
    }
    expect(run.output).toMatch(/\[A\] report running with BATON_FENCING_TOKEN=\d+/);
    expect(run.output).toMatch(/\[B\] baton: cron\/nightly-report is held by .*\(--try, exit 75\)/);
    expect(run.output).toContain('cron-guard: the story went as told.');
  });

  it('primary-worker: the killed leader is replaced by another worker with a higher term', async () => {
    const run = await runExample('primary-worker', { BATON_ENDPOINTS: endpoints });
    expect(run.code, run.output).toBe(0);
    const killed = /Killing (worker-[abc]) \(SIGKILL\)/.exec(run.output)?.[1];
    expect(killed, run.output).toBeDefined();
    const took = new RegExp(`✓ (worker-[abc]) took over from ${killed}`).exec(run.output)?.[1];
    expect(took, run.output).toBeDefined();
    expect(took).not.toBe(killed);
    expect(run.output).toMatch(new RegExp(`\\[observe\\] leader: ${took} \\(term \\d+\\)`));
    expect(run.output).toContain('primary-worker: the story went as told.');
  });

  it('fenced-store: the store refuses the write of the holder that was paused past its TTL', async () => {
    const run = await runExample('fenced-store', { BATON_ENDPOINTS: endpoints });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('store: ioredis-mock');
    const tokenA = Number(/A holds invoices\/42 with fencing token (\d+)/.exec(run.output)?.[1]);
    const tokenB = Number(/B holds invoices\/42 with fencing token (\d+)/.exec(run.output)?.[1]);
    expect(tokenB).toBeGreaterThan(tokenA);
    expect(run.output).toContain(`A writes with token ${tokenA} → refused (the store has seen token ${tokenB})`);
    expect(run.output).toContain(`invoice-42 = "v2 by B (token ${tokenB})"`);
    expect(run.output).toContain('fenced-store: the story went as told.');
  });

  it('without BATON_ENDPOINTS, an example starts (and removes) its own embedded cluster', async () => {
    const run = await runExample('cron-guard', {});
    expect(run.code, run.output).toBe(0);
    const dataDir = /cluster: embedded, 3 baton-server processes on 127\.0\.0\.1:\d+.*; data in (\S+)\)/.exec(
      run.output,
    )?.[1];
    expect(dataDir, run.output).toBeDefined();
    expect(existsSync(dataDir!)).toBe(false);
    expect(run.output).toContain('cron-guard: the story went as told.');
  });
});
