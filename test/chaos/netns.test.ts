/**
 * The netns mode on a machine that allows it (root, iproute2, network namespaces, tc htb/u32):
 * the kernel-level faults do what link-rules.ts says, and one short chaos cycle with the nodes in
 * namespaces passes every check. Elsewhere (CI runners that are not root, containers without
 * CAP_NET_ADMIN) both tests are skipped with the reason printed.
 *
 * Every process here talks only to the namespaces this test made (DESIGN's loopback rule).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsNet } from './net/netns/netns-net.js';
import { formatSummary } from './report/summary.js';
import { CHAOS_DEFAULTS } from './run/options.js';
import { runChaos } from './run/run-chaos.js';
import { buildWorker, type WorkerBuild } from './testing/worker-build.js';

const SEED = Number(process.env.BATON_CHAOS_SEED ?? 20_240_606);
/** How long a connect attempt may take before it counts as hanging (a dropped SYN). */
const CONNECT_WAIT_MS = 1_500;
const ECHO_PORT = 7200;

/** Why the netns mode cannot run here, or null: found by setting it up and tearing it down. */
async function netnsUnavailable(): Promise<string | null> {
  const started = await NetnsNet.tryStart(['n1', 'n2'], () => {});
  if ('unavailable' in started) return started.unavailable;
  await started.net.close();
  return null;
}

let unavailable: string | null = 'not checked';
beforeAll(async () => {
  unavailable = await netnsUnavailable();
  if (unavailable !== null) console.log(`netns tests skipped: ${unavailable}`);
});

/** A TCP connect from inside namespace `ns` (or the root namespace) to host:port: what happened. */
function connectFrom(ns: string | null, host: string, port: number): Promise<string> {
  const script = `const s = require('node:net').connect(${port}, '${host}');
const t = setTimeout(() => { console.log('hangs'); process.exit(0); }, ${CONNECT_WAIT_MS});
s.on('connect', () => { console.log('connected'); process.exit(0); });
s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });`;
  const argv = [...(ns === null ? [] : ['ip', 'netns', 'exec', ns]), process.execPath, '-e', script];
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 10_000 }, (err, stdout) => {
      if (err !== null) reject(err);
      else resolve(stdout.trim());
    });
  });
}

describe('netns mode', () => {
  it('drops and cuts peer packets in the kernel, leaves clients alone, and heals', async (ctx) => {
    if (unavailable !== null) return ctx.skip();
    const started = await NetnsNet.tryStart(['n1', 'n2'], () => {});
    if (!('net' in started)) throw new Error(started.unavailable);
    const { net } = started;
    const echo: ChildProcess[] = [];
    try {
      const [n1, n2] = net.layout.nodes as [(typeof net.layout.nodes)[0], (typeof net.layout.nodes)[0]];
      for (const n of [n1, n2]) {
        const script = `require('node:net').createServer((s) => s.pipe(s)).listen(${ECHO_PORT}, '${n.address}', () => console.log('up'))`;
        const [cmd, ...args] = [...net.commandPrefix(n.name), process.execPath, '-e', script];
        const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
        echo.push(child);
        await new Promise<void>((resolve, reject) => {
          child.stdout?.once('data', () => resolve());
          child.once('exit', (code) => reject(new Error(`echo server in ${n.ns} exited ${code}`)));
        });
        // `ip netns exec` replaced itself with the server: signals sent to this pid reach it
        expect(readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim()).toBe('node');
      }
      expect(await connectFrom(n1.ns, n2.address, ECHO_PORT)).toBe('connected');

      await net.oneWay(['n1'], ['n2'], 'drop');
      expect(net.describe()).toBe('n1>n2 drop');
      // n1's SYNs vanish on the wire: the connect hangs, as in a real partition
      expect(await connectFrom(n1.ns, n2.address, ECHO_PORT)).toBe('hangs');
      // the client network (the bridge address, root namespace) is not a peer: untouched
      expect(await connectFrom(null, n2.address, ECHO_PORT)).toBe('connected');
      await net.healAll();
      expect(await connectFrom(n1.ns, n2.address, ECHO_PORT)).toBe('connected');

      await net.partition([['n1'], ['n2']], 'cut');
      // refused at once in the sender's own namespace, both ways
      expect(await connectFrom(n1.ns, n2.address, ECHO_PORT)).toBe('error EHOSTUNREACH');
      expect(await connectFrom(n2.ns, n1.address, ECHO_PORT)).toBe('error EHOSTUNREACH');
      expect(await connectFrom(null, n1.address, ECHO_PORT)).toBe('connected');
      await net.healAll();
      expect(net.describe()).toBe('');
      expect(await connectFrom(n2.ns, n1.address, ECHO_PORT)).toBe('connected');
    } finally {
      for (const c of echo) c.kill('SIGKILL');
      await net.close();
    }
    // nothing of the run is left
    const left = await new Promise<string>((resolve) =>
      execFile('ip', ['netns', 'list'], (_err, stdout) => resolve(String(stdout))),
    );
    expect(left).not.toContain(net.layout.runId);
  }, 60_000);

  describe('one chaos cycle', () => {
    let worker: WorkerBuild | undefined;
    beforeAll(async () => {
      if (unavailable === null) worker = await buildWorker();
    }, 120_000);
    afterAll(async () => {
      await worker?.dispose();
    });

    it('3 nodes in namespaces, the leader isolated in the kernel: every check passes', async (ctx) => {
      if (unavailable !== null || worker === undefined) return ctx.skip();
      const lines: string[] = [];
      const replay = `BATON_CHAOS_SEED=${SEED} npx vitest run chaos/netns.test.ts (in test/, as root)`;
      const result = await runChaos({
        ...CHAOS_DEFAULTS,
        seed: SEED,
        nodes: 3,
        net: 'netns',
        durationMs: 30_000,
        faults: ['isolate-leader'],
        outDir: join(import.meta.dirname, 'out', 'netns'),
        keepArtifacts: false,
        workerCommand: worker.command,
        replayCommand: replay,
        log: (line) => lines.push(line),
      });
      console.log(`${lines.join('\n')}\n\n${formatSummary(result.data, result, replay)}`);
      expect(result.data.networkFallback).toBeNull();
      expect(result.data.network).toMatch(/^netns/);
      expect(result.violations.map((v) => `[${v.check}] ${v.message}`)).toEqual([]);
      expect(result.data.faults.map((f) => f.kind)).toEqual(['isolate-leader']);
      expect(result.store.acceptedWrites).toBeGreaterThan(0);
    }, 120_000);
  });
});
