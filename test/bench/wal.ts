/**
 * npm run bench:wal — the write-ahead log against the disk under it, in one run.
 *
 * Runs in a temp directory under the repository's tmp/ (git-ignored; BATON_BENCH_DIR overrides),
 * which is on the disk a node's data directory would be on.
 *
 * 1. raw: append 4 KiB to a file and make it durable, one at a time, two ways: write + fdatasync,
 *    and one write to a file opened with O_DSYNC (what the WAL uses where it can). The faster of
 *    the two is the floor for any WAL on this disk;
 * 2. WAL single-entry latency: append one entry (a 4 KiB record) and wait until it is durable, one
 *    at a time (target: within 1.3x of the raw floor). The three are timed interleaved, one of
 *    each per round, so that they see the same disk;
 * 3. group commit: 64 concurrent appenders of 128-byte entries, each awaiting its append before it
 *    issues the next (target >= 100,000 entries/s);
 * 4. recovery: a 1 GiB log written with large batches, then DiskStorage.open (read, verify,
 *    rebuild the in-memory log) timed, with the memory it keeps; then the same log behind a
 *    snapshot at its last index (read and verify only, nothing kept).
 *
 * Latencies are p50/p99 over all operations; throughput and recovery are medians over trials.
 * BATON_BENCH_QUICK=1 shrinks everything (64 MiB log) for a smoke run. --json prints one line.
 */
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { storage } from '@baton/server';
import type { Entry } from '@baton/server/raft';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
const QUICK = process.env.BATON_BENCH_QUICK === '1';
// built to test/dist/bench/wal.js: the repository root is three levels up
const BASE_DIR = resolve(process.env.BATON_BENCH_DIR ?? join(import.meta.dirname, '..', '..', '..', 'tmp'));

const RAW_WRITE_BYTES = 4096;
const LATENCY_OPS = QUICK ? 300 : 2000;
const WARMUP_OPS = QUICK ? 20 : 100;
/** Entry data that makes the WAL record (9-byte frame header + 17 entry bytes + data) 4 KiB. */
const LATENCY_ENTRY_DATA_BYTES = RAW_WRITE_BYTES - 9 - 17;
const APPENDERS = 64;
const GROUP_ENTRY_DATA_BYTES = 128;
const GROUP_ENTRIES = QUICK ? 20_000 : 200_000;
const GROUP_TRIALS = QUICK ? 1 : 3;
const RECOVERY_LOG_BYTES = QUICK ? 64 * 1024 * 1024 : 1024 * 1024 * 1024;
const RECOVERY_ENTRY_DATA_BYTES = 1024;
const RECOVERY_BATCH_ENTRIES = 1024;
const RECOVERY_TRIALS = QUICK ? 1 : 3;

// a forced collection makes "memory kept by the recovered log" a meaningful number
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
const median = (xs: readonly number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const nowMs = (): number => performance.now();

interface Latency {
  p50Ms: number;
  p99Ms: number;
}

/**
 * Times `ops` interleaved, one of each per round, so that every kind sees the same disk (a shared
 * machine's load comes and goes: timing one kind after the other would compare different disks).
 */
async function timeInterleaved(n: number, ops: ReadonlyArray<(i: number) => Promise<void>>): Promise<Latency[]> {
  const samples: number[][] = ops.map(() => []);
  for (let i = 0; i < WARMUP_OPS + n; i++) {
    for (const [k, op] of ops.entries()) {
      const t0 = nowMs();
      await op(i);
      if (i >= WARMUP_OPS) (samples[k] as number[]).push(nowMs() - t0);
    }
  }
  return samples.map((s) => {
    s.sort((a, b) => a - b);
    return { p50Ms: percentile(s, 50), p99Ms: percentile(s, 99) };
  });
}

/** Raw durable 4 KiB appends two ways, and single-entry WAL appends, interleaved. */
async function latencies(dir: string): Promise<{ rawSync: Latency; rawDsync: Latency; wal: Latency }> {
  const create = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  const dsync = constants.O_DSYNC ?? 0;
  const syncFile = await open(join(dir, 'raw-fdatasync.bin'), create, 0o644);
  const dsyncFile = await open(join(dir, 'raw-dsync.bin'), create | dsync, 0o644);
  const { wal } = await storage.Wal.open(join(dir, 'wal-latency'));
  const block = new Uint8Array(RAW_WRITE_BYTES).fill(0x5a);
  const data = new Uint8Array(LATENCY_ENTRY_DATA_BYTES).fill(0x33);
  try {
    const [rawSync, rawDsync, single] = await timeInterleaved(LATENCY_OPS, [
      async (i) => {
        await syncFile.write(block, 0, block.length, i * RAW_WRITE_BYTES);
        await syncFile.datasync();
      },
      async (i) => {
        await dsyncFile.write(block, 0, block.length, i * RAW_WRITE_BYTES);
        if (dsync === 0) await dsyncFile.datasync();
      },
      (i) => wal.append([{ kind: 'entry', entry: { index: i + 1, term: 1, type: 'normal', data } }]),
    ]);
    return { rawSync: rawSync as Latency, rawDsync: rawDsync as Latency, wal: single as Latency };
  } finally {
    await syncFile.close();
    await dsyncFile.close();
    await wal.close();
  }
}

async function groupCommit(dir: string, trial: number): Promise<{ entriesPerSec: number; entriesPerSync: number }> {
  // counts what made data durable: an fdatasync, or a write to an O_DSYNC file
  let syncs = 0;
  const counting: storage.FileOps = {
    ...storage.nodeFileOps,
    async createExclusive(path) {
      const f = await storage.nodeFileOps.createExclusive(path);
      return {
        writesAreDurable: f.writesAreDurable === true,
        write: (d, p) => {
          if (f.writesAreDurable) syncs++;
          return f.write(d, p);
        },
        datasync: () => {
          syncs++;
          return f.datasync();
        },
        truncateAndSync: (n) => f.truncateAndSync(n),
        close: () => f.close(),
      };
    },
  };
  const { wal } = await storage.Wal.open(join(dir, `wal-group-${trial}`), { fileOps: counting });
  const data = new Uint8Array(GROUP_ENTRY_DATA_BYTES).fill(0x44);
  let next = 1;
  const appender = async (): Promise<void> => {
    while (next <= GROUP_ENTRIES) {
      // index taken and append issued in the same turn: the WAL sees contiguous indexes
      const entry: Entry = { index: next++, term: 1, type: 'normal', data };
      await wal.append([{ kind: 'entry', entry }]);
    }
  };
  const syncsBefore = syncs;
  const t0 = nowMs();
  await Promise.all(Array.from({ length: APPENDERS }, appender));
  const seconds = (nowMs() - t0) / 1000;
  await wal.close();
  return { entriesPerSec: GROUP_ENTRIES / seconds, entriesPerSync: GROUP_ENTRIES / (syncs - syncsBefore) };
}

async function writeRecoveryLog(dataDir: string): Promise<{ entries: number; bytes: number }> {
  const { wal } = await storage.Wal.open(join(dataDir, storage.WAL_DIR));
  const data = new Uint8Array(RECOVERY_ENTRY_DATA_BYTES);
  let index = 1;
  let bytes = 0;
  while (bytes < RECOVERY_LOG_BYTES) {
    const records: storage.AppendRecord[] = [];
    for (let k = 0; k < RECOVERY_BATCH_ENTRIES; k++, index++) {
      data.fill(index % 251);
      records.push({ kind: 'entry', entry: { index, term: 1, type: 'normal', data: data.slice() } });
      bytes += RECOVERY_ENTRY_DATA_BYTES + 26;
    }
    await wal.append([...records, { kind: 'hardState', hardState: { term: 1, vote: 1, commit: index - 1 } }]);
  }
  await wal.close();
  return { entries: index - 1, bytes };
}

interface Recovery {
  ms: number;
  cpuMs: number;
  keptMiB: number;
}

async function recoverOnce(dataDir: string, expectedLast: number): Promise<Recovery> {
  // twice: array buffers freed by the first collection are released by the time of the second
  gc();
  gc();
  const before = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  const { storage: disk, info } = await storage.DiskStorage.open(dataDir);
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (info.lastIndex !== expectedLast) throw new Error(`recovered ${info.lastIndex} entries, wrote ${expectedLast}`);
  gc();
  gc();
  const after = process.memoryUsage();
  const kept = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
  await disk.close();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, keptMiB: kept / 2 ** 20 };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

await mkdir(BASE_DIR, { recursive: true });
const dir = await mkdtemp(join(BASE_DIR, 'bench-wal-'));
try {
  log(`bench:wal in ${dir}${QUICK ? ' (quick)' : ''}`);
  const { rawSync, rawDsync, wal: single } = await latencies(dir);
  log(`  raw 4 KiB write+fdatasync: p50 ${fmt(rawSync.p50Ms, 3)} ms, p99 ${fmt(rawSync.p99Ms, 3)} ms`);
  log(`  raw 4 KiB O_DSYNC write:   p50 ${fmt(rawDsync.p50Ms, 3)} ms, p99 ${fmt(rawDsync.p99Ms, 3)} ms`);
  log(`  WAL single 4 KiB entry:    p50 ${fmt(single.p50Ms, 3)} ms, p99 ${fmt(single.p99Ms, 3)} ms`);
  // the floor: whichever raw way is faster on this disk
  const raw = rawSync.p50Ms <= rawDsync.p50Ms ? rawSync : rawDsync;
  const groups: Array<{ entriesPerSec: number; entriesPerSync: number }> = [];
  for (let t = 0; t < GROUP_TRIALS; t++) {
    const g = await groupCommit(dir, t);
    groups.push(g);
    log(
      `  group commit trial ${t + 1}: ${fmt(g.entriesPerSec)} entries/s, ${fmt(g.entriesPerSync, 1)} entries/fdatasync`,
    );
  }
  const dataDir = join(dir, 'recovery');
  const t0 = nowMs();
  const written = await writeRecoveryLog(dataDir);
  log(
    `  wrote a ${fmt(written.bytes / 2 ** 20)} MiB log (${fmt(written.entries)} entries) in ${fmt((nowMs() - t0) / 1000, 1)} s`,
  );
  const recoveries: Recovery[] = [];
  for (let t = 0; t < RECOVERY_TRIALS; t++) {
    const r = await recoverOnce(dataDir, written.entries);
    recoveries.push(r);
    log(`  recovery trial ${t + 1}: ${fmt(r.ms)} ms (${fmt(r.cpuMs)} ms CPU), keeps ${fmt(r.keptMiB)} MiB`);
  }
  // the same log behind a snapshot at its last index: every record is still read and verified,
  // but no entry is kept in memory (what a node that takes snapshots does)
  await storage.saveSnapshot(join(dataDir, storage.SNAP_DIR), {
    metadata: { index: written.entries, term: 1, confState: { voters: [1], learners: [] } },
    data: new Uint8Array(1024),
  });
  const verifyOnly: Recovery[] = [];
  for (let t = 0; t < RECOVERY_TRIALS; t++) {
    const r = await recoverOnce(dataDir, written.entries);
    verifyOnly.push(r);
    log(`  recovery behind a snapshot, trial ${t + 1}: ${fmt(r.ms)} ms (${fmt(r.cpuMs)} ms CPU)`);
  }

  const summary = {
    benchmark: 'wal',
    quick: QUICK,
    rawFdatasyncP50Ms: rawSync.p50Ms,
    rawFdatasyncP99Ms: rawSync.p99Ms,
    rawDsyncP50Ms: rawDsync.p50Ms,
    rawDsyncP99Ms: rawDsync.p99Ms,
    walP50Ms: single.p50Ms,
    walP99Ms: single.p99Ms,
    walToRawP50: single.p50Ms / raw.p50Ms,
    walToRawP99: single.p99Ms / raw.p99Ms,
    groupEntriesPerSec: Math.round(median(groups.map((g) => g.entriesPerSec))),
    groupEntriesPerSync: median(groups.map((g) => g.entriesPerSync)),
    recoveryLogMiB: Math.round(written.bytes / 2 ** 20),
    recoveryEntries: written.entries,
    recoveryMs: Math.round(median(recoveries.map((r) => r.ms))),
    recoveryKeptMiB: Math.round(median(recoveries.map((r) => r.keptMiB))),
    recoveryBehindSnapshotMs: Math.round(median(verifyOnly.map((r) => r.ms))),
  };
  if (values.json) console.log(JSON.stringify(summary));
  else {
    const row = (what: string, result: string, target: string) =>
      `| ${what.padEnd(44)} | ${result.padEnd(26)} | ${target.padEnd(12)} |`;
    console.log(row('measure', 'result', 'target'));
    console.log(row('-'.repeat(44), '-'.repeat(26), '-'.repeat(12)));
    console.log(
      row('raw 4 KiB write+fdatasync p50 / p99', `${fmt(rawSync.p50Ms, 3)} / ${fmt(rawSync.p99Ms, 3)} ms`, ''),
    );
    console.log(
      row('raw 4 KiB O_DSYNC write p50 / p99', `${fmt(rawDsync.p50Ms, 3)} / ${fmt(rawDsync.p99Ms, 3)} ms`, ''),
    );
    console.log(row('WAL 1-entry append+sync p50 / p99', `${fmt(single.p50Ms, 3)} / ${fmt(single.p99Ms, 3)} ms`, ''));
    console.log(
      row(
        'WAL / faster raw, p50 / p99',
        `${fmt(summary.walToRawP50, 2)}x / ${fmt(summary.walToRawP99, 2)}x`,
        '<= 1.3x',
      ),
    );
    console.log(
      row(
        `group commit, ${APPENDERS} appenders x ${GROUP_ENTRY_DATA_BYTES} B`,
        `${fmt(summary.groupEntriesPerSec)} entries/s`,
        '>= 100,000/s',
      ),
    );
    console.log(
      row(
        `recovery of ${fmt(summary.recoveryLogMiB)} MiB (${fmt(written.entries)} entries)`,
        `${fmt(summary.recoveryMs)} ms, keeps ${fmt(summary.recoveryKeptMiB)} MiB`,
        '',
      ),
    );
    console.log(row('  the same, behind a snapshot (verify only)', `${fmt(summary.recoveryBehindSnapshotMs)} ms`, ''));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
