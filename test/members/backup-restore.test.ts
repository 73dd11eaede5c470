/**
 * Online backup and restore into a new cluster (issue 7), end to end with the real binaries:
 * locks, a semaphore and an election in cluster A; `baton snapshot save`; `baton-server restore`
 * into three fresh directories; cluster B starts with the same holders, tokens and sessions, and
 * its new fencing tokens are above every token A granted (--bump-index). Restored sessions'
 * leases restart with B's first leader: one kept alive lives on, one left alone expires a TTL later.
 * A damaged backup and a non-empty directory are refused with their exit codes, changing nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatonClient, Lock, Session } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { SERVER_BIN, WsClient, waitFor } from '../cluster/harness.js';
import { MembersCluster } from './harness.js';

const HOOK_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 180_000;
/** Locks with 1 KiB of metadata each: the snapshot spans several 32 KiB chunks. */
const BULK_LOCKS = 80;
const BUMP_INDEX = 1_000;
const SHORT_TTL_MS = 2_000;

let a: MembersCluster;
let b: MembersCluster | null = null;
let clientA: BatonClient;

beforeAll(async () => {
  a = await MembersCluster.start(['a1', 'a2', 'a3']);
  clientA = await a.client();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await clientA?.close();
  await a?.stop();
  await b?.stop();
}, HOOK_TIMEOUT_MS);

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function serverRestore(args: readonly string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [SERVER_BIN, 'restore', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`restore did not finish: ${stderr}`));
    }, 30_000);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('snapshot save → restore into a new cluster', { timeout: TEST_TIMEOUT_MS }, () => {
  it('carries locks, tokens, sessions and elections; new tokens never go backwards', async () => {
    // ---- cluster A: some state worth keeping
    const kept = await clientA.session({ ttlMs: 60_000, label: 'kept' });
    const brief = await clientA.session({ ttlMs: SHORT_TTL_MS, label: 'brief' });
    const lock = await kept.acquire('backup/lock', { metadata: { owner: 'nightly', pid: 7 } });
    const semKept = await kept.acquire('backup/sem', { limit: 3 });
    const semBrief = await brief.acquire('backup/sem', { limit: 3 });
    const lead = await kept.campaign('backup/primary', 'worker-a');
    const padding = 'x'.repeat(900);
    const bulk: Lock[] = await Promise.all(
      Array.from({ length: BULK_LOCKS }, (_, i) => kept.acquire(`backup/bulk/${i}`, { metadata: { owner: padding } })),
    );

    // ---- the backup, with the CLI
    const file = join(a.root, 'cluster-a.bak');
    const saved = await runCli(['snapshot', 'save', file, '--json'], a.endpoints());
    expect(saved.code, saved.stderr).toBe(0);
    const info = JSON.parse(saved.stdout) as { index: number; bytes: number; sha256: string };
    expect(info.bytes).toBeGreaterThan(2 * 32 * 1024);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(a.root).filter((f) => f.includes('.tmp'))).toEqual([]);

    // A goes on granting after the backup: B must still never hand out a smaller token
    const after = await kept.acquire('backup/after');
    const maxTokenA = after.token;
    expect(maxTokenA).toBeGreaterThan(info.index);
    const tokensInBackup = [lock.token, semKept.token, semBrief.token, lead.term, ...bulk.map((l) => l.token)];
    expect(Math.max(...tokensInBackup)).toBeLessThanOrEqual(info.index);

    // ---- refusals change nothing
    b = await MembersCluster.plan(['b1', 'b2', 'b3']);
    const peers = b.peersFlag();
    const restoreArgs = (name: string, from = file): string[] => [
      '--from',
      from,
      '--data-dir',
      b?.node(name).dataDir as string,
      '--id',
      name,
      '--peers',
      peers,
      '--bump-index',
      String(BUMP_INDEX),
    ];
    const bytes = readFileSync(file);
    const damaged = join(a.root, 'damaged.bak');
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(flipped.length / 2)] ^= 0x01;
    writeFileSync(damaged, flipped);
    const truncated = join(a.root, 'truncated.bak');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    const refused = await Promise.all([
      serverRestore(restoreArgs('b1', damaged)),
      serverRestore(restoreArgs('b1', truncated)),
      serverRestore(['--from', file, '--data-dir', join(a.root, 'x')]),
    ]);
    for (const r of refused.slice(0, 2)) {
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('BACKUP_CORRUPT');
    }
    expect(refused[2]?.code, 'no --id/--peers').toBe(2);
    expect(existsSync(b.node('b1').dataDir)).toBe(false);

    const restored = await Promise.all(['b1', 'b2', 'b3'].map((name) => serverRestore(restoreArgs(name))));
    for (const r of restored) expect(r.code, r.stderr).toBe(0);
    const b1Files = listing(b.node('b1').dataDir).filter((f) => f !== 'LOCK');
    const again = await serverRestore(restoreArgs('b1'));
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('DATA_DIR_NOT_EMPTY');
    expect(listing(b.node('b1').dataDir).filter((f) => f !== 'LOCK')).toEqual(b1Files);

    // ---- cluster B
    const startedAtMs = Date.now();
    await b.launch();
    const clientB = await b.client();
    const keepalive = await WsClient.connect((await b.waitForLeader()).proc.clientUrl);
    try {
      const described = await clientB.describe('backup/lock');
      expect(described.holders.map((h) => [h.sessionId, h.token, h.metadata])).toEqual([
        [kept.id, lock.token, { owner: 'nightly', pid: 7 }],
      ]);
      expect(await clientB.checkFence('backup/lock', lock.token)).toBe(true);
      expect(await clientB.leader('backup/primary')).toMatchObject({ value: 'worker-a', term: lead.term });
      expect((await clientB.describe('backup/bulk/79')).holders.map((h) => h.token)).toEqual([bulk[79]?.token]);
      expect((await clientB.describe('backup/after')).holders).toEqual([]);
      expect(await clientB.members()).toMatchObject({ leaderId: expect.stringMatching(/^b[123]$/) });
      expect((await clientB.members()).members.map((m) => m.id).sort()).toEqual(['b1', 'b2', 'b3']);

      // new grants are above every token of A, also those granted after the backup
      const fresh = await clientB.session();
      const newLock = await fresh.acquire('backup/new');
      expect(newLock.token).toBeGreaterThan(maxTokenA);
      expect(newLock.token).toBeGreaterThan(info.index + BUMP_INDEX);

      // restored leases restart with B: `kept` is kept alive here and lives; `brief` expires
      const ka = await keepalive.request('session.keepalive', { sessionId: kept.id });
      expect(ka, JSON.stringify(ka)).toMatchObject({ ok: true });
      await waitFor(
        'the restored short session to expire in B',
        async () => {
          const sem = await clientB.describe('backup/sem');
          const k = await keepalive.request('session.keepalive', { sessionId: kept.id });
          if (!k.ok) throw new Error(`kept session lost: ${JSON.stringify(k.error)}`);
          return sem.holders.length === 1 ? sem : null;
        },
        30_000,
        200,
      );
      // never before a full TTL from B's start (its first leader renewed every lease)
      expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(SHORT_TTL_MS);
      expect((await clientB.describe('backup/sem')).holders.map((h) => h.sessionId)).toEqual([kept.id]);

      // the restored session still owns its lock: it can release it in B
      const rel = await keepalive.request('lock.release', {
        sessionId: kept.id,
        name: 'backup/lock',
        token: lock.token,
      });
      expect(rel, JSON.stringify(rel)).toMatchObject({ ok: true });
      expect((await clientB.describe('backup/lock')).holders).toEqual([]);
      await fresh.close();
    } finally {
      keepalive.close();
      await clientB.close();
    }
    await closeQuietly([kept, brief]);
  });
});

async function closeQuietly(sessions: readonly Session[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.close().catch(() => {})));
}
