/**
 * `npm run bench -- --quick`, end to end, as part of `npm test`: Baton and whichever peers are
 * installed or can be installed with apt-get run every workload, and the JSON must hold every
 * row with sane values for each system that ran. It checks that the harness works, never how
 * fast anything is. A peer that cannot be had (no apt, not root) is skipped and said so.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_NAMES, type SystemName } from './clients/lock-client.js';
import { QUICK_PLAN } from './plan.js';
import type { BenchResult, ResultRow } from './report/result.js';
import { rowSpecs } from './report/rows.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..');
/** The whole quick run, apt-get install on a fresh machine included (about 50 s of it). */
const RUN_TIMEOUT_MS = 270_000;

let buildDir: string;
let outDir: string;

beforeAll(async () => {
  // built here, not taken from test/dist (`npm test` may rebuild it meanwhile); under the root
  // node_modules so that the clients and the SDK resolve from the bundle
  buildDir = await mkdtemp(join(REPO, 'node_modules', '.cache-baton-bench-'));
  outDir = await mkdtemp(join(tmpdir(), 'baton-bench-out-'));
  await build({
    entry: { 'bench-cli': join(import.meta.dirname, 'cli.ts') },
    outDir: buildDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    external: ['@baton/sdk', '@baton/proto-schemas', 'ws', 'etcd3', 'ioredis', 'node-zookeeper-client', 'pure-rand'],
    config: false,
    silent: true,
    dts: false,
    sourcemap: false,
    clean: false,
  });
}, 120_000);

afterAll(async () => {
  if (buildDir !== undefined) await rm(buildDir, { recursive: true, force: true });
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

function runCli(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(buildDir, 'bench-cli.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    // SIGINT: the harness stops every process it started before it exits
    const timer = setTimeout(() => child.kill('SIGINT'), RUN_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

function value(row: ResultRow, s: SystemName): number {
  const v = row.values[s];
  if (v === null) throw new Error(`${row.id} has no value for ${s}: ${row.errors[s] ?? 'not measured'}`);
  return v;
}

describe('npm run bench -- --quick', () => {
  it(
    'runs every workload for Baton and every available peer, with a sane value in every row',
    async () => {
      const { code, output } = await runCli(['--quick', '--out', outDir]);
      const resultFile = join(outDir, 'results.json');
      expect(existsSync(resultFile), output).toBe(true);
      const result = JSON.parse(readFileSync(resultFile, 'utf8')) as BenchResult;
      expect(code, output).toBe(0);
      expect(result.quick).toBe(true);
      expect(result.complete).toBe(true);
      expect(readFileSync(join(outDir, 'report.html'), 'utf8')).toContain('<svg');

      const ran = SYSTEM_NAMES.filter((s) => result.systems[s].state === 'ran');
      for (const s of SYSTEM_NAMES) {
        const report = result.systems[s];
        if (report.state === 'skipped') {
          expect(report.reason, s).toBeTruthy();
          console.info(`bench --quick skipped ${s}: ${report.reason}`);
        } else expect(report.state, `${s}: ${report.reason ?? ''}\n${output}`).toBe('ran');
      }
      expect(ran).toContain('baton');

      // the disk floor is measured before any system, and said in the notes
      const disk = result.machine.disk;
      expect(disk, output).not.toBeNull();
      expect(disk?.backToBackP50Ms).toBeGreaterThan(0);
      expect(disk?.afterIdleP50Ms).toBeGreaterThan(0);
      expect(
        result.notes.some((n) => n.startsWith('disk floor:')),
        result.notes.join('\n'),
      ).toBe(true);
      // and so is a bare replicated commit, through three processes of its own, before each system
      for (const s of ran) {
        const floor = result.machine.commitFloors[s];
        expect(floor, `${s}\n${result.notes.join('\n')}`).toBeDefined();
        expect(floor?.backToBackP50Ms).toBeGreaterThan(0);
        expect(floor?.afterIdleP50Ms).toBeGreaterThan(0);
      }
      const floorNote = result.notes.find((n) => n.startsWith('commit floor:')) ?? '';
      expect(floorNote, result.notes.join('\n')).toContain('before Baton p50');
      expect(floorNote).not.toContain('not measured');

      // every row of the plan, in order
      const ttl = result.rows.find((r) => r.id === 'takeover.ttlMs')?.values.baton ?? null;
      expect(result.rows.map((r) => r.id)).toEqual(rowSpecs(QUICK_PLAN, ttl).map((r) => r.id));
      const row = (id: string): ResultRow => {
        const r = result.rows.find((x) => x.id === id);
        if (r === undefined) throw new Error(`no row ${id}`);
        return r;
      };

      for (const s of ran) {
        for (const r of result.rows) {
          if (r.notApplicable.includes(s)) {
            expect(r.values[s], `${r.id} ${s}`).toBeNull();
            continue;
          }
          expect(r.errors[s], `${r.id} ${s}`).toBeUndefined();
          expect(Number.isFinite(value(r, s)) && value(r, s) >= 0, `${r.id} ${s} = ${r.values[s]}`).toBe(true);
        }
        for (const w of QUICK_PLAN.independentWorkers) {
          expect(value(row(`independent.${w}.cyclesPerSec`), s), s).toBeGreaterThan(0);
          expect(value(row(`independent.${w}.acquireP50Ms`), s), s).toBeGreaterThan(0);
        }
        expect(value(row('contention.handoffsPerSec'), s), s).toBeGreaterThan(0);
        // a hold that ends before its TTL minus one keepalive interval would be a lease expiring early
        const ttlMs = value(row('takeover.ttlMs'), s);
        expect(value(row('takeover.p50Ms'), s), s).toBeGreaterThanOrEqual(ttlMs / 2);
        expect(value(row('memory.rssMbPerNode'), s), s).toBeGreaterThan(0);
        const sys = result.systems[s];
        expect(sys.durationMs, s).toBeGreaterThan(0);
      }

      // the queue-based systems serve waiters in order; Redis waiters poll, so it has no such promise
      for (const s of ran.filter((x) => x !== 'redis')) {
        expect(value(row('contention.fifoOvertakes'), s), s).toBe(0);
        expect(value(row('failover.gapMaxMs'), s), s).toBeGreaterThan(0);
        expect(value(row('election.handoffP50Ms'), s), s).toBeGreaterThan(0);
        expect(value(row(`sessions.${QUICK_PLAN.idleSessionCounts[0]}.cpuPct`), s), s).toBeGreaterThan(0);
      }
      if (ran.includes('redis')) expect(row('failover.gapMaxMs').notApplicable).toContain('redis');

      // ratios are Baton's value over each peer's
      for (const p of ran.filter((x): x is Exclude<SystemName, 'baton'> => x !== 'baton')) {
        const r = row('independent.32.cyclesPerSec');
        expect(r.ratios[p]).toBeCloseTo(value(r, 'baton') / value(r, p), 6);
      }
    },
    RUN_TIMEOUT_MS + 20_000,
  );
});
