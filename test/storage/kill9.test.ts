/**
 * Kill -9 loop: a child process (kill9-child.ts) writes to DiskStorage and reports on stdout what
 * became durable; the parent SIGKILLs it at a random moment, reopens the data directory itself,
 * and checks that every acknowledged entry is there with its exact bytes (or covered by the
 * snapshot), that the hard state and snapshot are at least as new as acknowledged, and that every
 * entry in the log carries the data its (index, term) decide. Then the child restarts on the same
 * directory, and so on.
 *
 * BATON_KILL9_CYCLES (default 25) sets the number of kills; BATON_KILL9_SEED the seed (printed).
 * The kill moments are drawn from the seed, but where the child is when the signal lands depends
 * on the machine, so a seed replays the plan, not the exact interleaving.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { storage } from '@baton/server';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimRng } from '../sim/rng.js';
import { CHILD_OPTIONS, entryData, snapshotData } from './kill9-protocol.js';

const CYCLES = Number(process.env.BATON_KILL9_CYCLES ?? 25);
const SEED = Number(process.env.BATON_KILL9_SEED ?? 9_090_909);
/** Bounds one child run; only a stuck child reaches it. */
const CYCLE_WATCHDOG_MS = 30_000;
/** The whole loop's bound: generous per cycle (a loaded CI machine), only a hang reaches it. */
const TEST_TIMEOUT_MS = Math.max(300_000, CYCLES * 3_000);
/** Most acknowledgment lines to wait for before a kill. */
const MAX_LINES_BEFORE_KILL = 120;

const REPO = resolve(import.meta.dirname, '..', '..');
let childJs: string;
let buildDir: string;
let dataDir: string;
const children = new Set<ChildProcess>();
let keepDataDir = false;

beforeAll(async () => {
  // Built here, not taken from test/dist: `npm test` may rebuild (and clean) test/dist while
  // this runs. Under the root node_modules so that '@baton/server' resolves from the bundle.
  buildDir = await mkdtemp(join(REPO, 'node_modules', '.cache-baton-kill9-'));
  await build({
    entry: { 'kill9-child': join(import.meta.dirname, 'kill9-child.ts') },
    outDir: buildDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    external: ['@baton/server'],
    config: false,
    silent: true,
    dts: false,
    sourcemap: false,
    clean: false,
  });
  childJs = join(buildDir, 'kill9-child.js');
  dataDir = await mkdtemp(join(tmpdir(), 'baton-kill9-'));
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all([...children].map((c) => exited(c)));
  if (buildDir !== undefined) await rm(buildDir, { recursive: true, force: true });
  // a failed run leaves the data directory for a post-mortem (its path is printed)
  if (dataDir !== undefined && !keepDataDir) await rm(dataDir, { recursive: true, force: true });
});

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => child.once('exit', () => resolveExit()));
}

/** What the child said was durable, over every cycle so far. */
interface Acknowledged {
  /** index -> term, for entries not yet known to be covered by a recovered snapshot. */
  entries: Map<number, number>;
  hardState: { term: number; commit: number };
  snapshotIndex: number;
  lines: number;
}

function record(ack: Acknowledged, line: string): void {
  const [kind, a, b, c] = line.split(' ');
  const n = (s: string | undefined) => Number(s);
  switch (kind) {
    case 'a':
      for (let i = n(a); i <= n(b); i++) {
        const before = ack.entries.get(i);
        if (before !== undefined && before !== n(c))
          throw new Error(`index ${i} acknowledged with terms ${before} and ${c}`);
        ack.entries.set(i, n(c));
      }
      break;
    case 'h':
      ack.hardState = { term: Math.max(ack.hardState.term, n(a)), commit: Math.max(ack.hardState.commit, n(b)) };
      break;
    case 's':
      ack.snapshotIndex = Math.max(ack.snapshotIndex, n(a));
      break;
  }
  if (kind === 'a' || kind === 'h' || kind === 's') ack.lines++;
}

/** Runs the child until it has reported `killAfterLines` acknowledgments (or opened, if 0), then SIGKILLs it. */
async function runAndKill(seed: number, killAfterLines: number, killWhileOpening: boolean, ack: Acknowledged) {
  const child = spawn(process.execPath, [childJs, dataDir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  let pending = '';
  let seen = 0;
  const watchdog = setTimeout(() => child.kill('SIGKILL'), CYCLE_WATCHDOG_MS);
  const done = new Promise<{ killed: boolean }>((resolveRun, rejectRun) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      pending += d;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
        try {
          record(ack, line);
        } catch (err) {
          child.kill('SIGKILL');
          rejectRun(err);
        }
        if (line === 'opening' && killWhileOpening) child.kill('SIGKILL');
        if (/^[ahs] /.test(line) && ++seen >= killAfterLines) child.kill('SIGKILL');
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(watchdog);
      children.delete(child);
      if (signal === 'SIGKILL') resolveRun({ killed: true });
      else rejectRun(new Error(`child exited on its own (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
  return done;
}

/** Opens the directory as the next incarnation would and checks every promise. Returns the losses. */
async function verify(ack: Acknowledged): Promise<string[]> {
  const { storage: disk, info } = await storage.DiskStorage.open(dataDir, CHILD_OPTIONS);
  const losses: string[] = [];
  try {
    const snap = disk.snapshot();
    const snapIndex = snap.metadata.index;
    if (snapIndex < ack.snapshotIndex)
      losses.push(`snapshot ${ack.snapshotIndex} acknowledged, recovered ${snapIndex}`);
    if (snapIndex > 0 && !equalBytes(snap.data, snapshotData(snapIndex, snap.metadata.term))) {
      losses.push(`snapshot ${snapIndex} has the wrong data`);
    }
    const hs = disk.initialState().hardState;
    if (hs.term < ack.hardState.term || hs.commit < ack.hardState.commit) {
      losses.push(`hard state ${JSON.stringify(hs)} older than acknowledged ${JSON.stringify(ack.hardState)}`);
    }
    // every entry in the log, acknowledged or not, must be one the child wrote
    const entries = disk.entries(disk.firstIndex(), disk.lastIndex() + 1, Number.POSITIVE_INFINITY);
    const termAt = new Map<number, number>();
    for (const e of entries) {
      termAt.set(e.index, e.term);
      if (!equalBytes(e.data, entryData(e.index, e.term))) losses.push(`entry ${e.index} (term ${e.term}) is damaged`);
    }
    for (const [index, term] of ack.entries) {
      if (index <= snapIndex) {
        ack.entries.delete(index); // covered, and a recovered snapshot never goes back
        continue;
      }
      if (termAt.get(index) !== term) {
        losses.push(`entry ${index} (term ${term}) acknowledged, recovered ${termAt.get(index) ?? 'nothing'}`);
      }
    }
    expect(info.lastIndex).toBe(disk.lastIndex());
  } finally {
    await disk.close();
  }
  return losses;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

describe('kill -9 loop', () => {
  it(
    `never loses an acknowledged write over ${CYCLES} kills`,
    async () => {
      console.log(
        `kill -9 loop: seed ${SEED}, ${CYCLES} cycles. Replay: cd test && BATON_KILL9_SEED=${SEED} ` +
          `BATON_KILL9_CYCLES=${CYCLES} npx vitest run storage/kill9.test.ts`,
      );
      keepDataDir = true;
      console.log(`kill -9 loop: data directory ${dataDir} (kept if the test fails)`);
      const rng = new SimRng(SEED);
      const ack: Acknowledged = { entries: new Map(), hardState: { term: 0, commit: 0 }, snapshotIndex: 0, lines: 0 };
      const losses: string[] = [];
      const startedMs = performance.now();
      let killedOpening = 0;
      let cycles = 0;
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        cycles = cycle;
        const killWhileOpening = rng.chance(0.1);
        if (killWhileOpening) killedOpening++;
        const killAfterLines = rng.nextInt(1, MAX_LINES_BEFORE_KILL + 1);
        await runAndKill(rng.nextInt(1, 2 ** 31 - 1), killAfterLines, killWhileOpening, ack);
        for (const loss of await verify(ack)) losses.push(`cycle ${cycle}: ${loss}`);
        if (losses.length > 0) break;
      }
      const seconds = (performance.now() - startedMs) / 1000;
      console.log(
        `kill -9 loop: ${cycles} cycles (${killedOpening} killed during recovery), ${ack.lines} acknowledgments, ` +
          `${losses.length} losses, ${seconds.toFixed(1)} s`,
      );
      expect(losses).toEqual([]);
      expect(ack.lines).toBeGreaterThan(CYCLES); // the children did work between the kills
      keepDataDir = false;
    },
    TEST_TIMEOUT_MS,
  );
});
