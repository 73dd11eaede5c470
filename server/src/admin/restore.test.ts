import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBackupFile, toHex } from '@baton/proto-schemas';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinationFsm } from '../fsm/index.js';
import { FsmHarness } from '../fsm/test-harness.js';
import { nodeIdFromName } from '../node/members.js';
import { DiskStorage } from '../storage/disk-storage.js';
import { decodeNodeState } from './node-state.js';
import { parseRestoreArgs, RESTORE_EXIT, RestoreError, restoreDataDir, runRestore } from './restore.js';

const sha256 = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();
const PEERS = 'r1=http://127.0.0.1:7101,r2=http://127.0.0.1:7102,r3=http://127.0.0.1:7103';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-restore-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function backup(data: Uint8Array, index = 40): string {
  const file = join(root, `b-${Math.random().toString(36).slice(2)}.bak`);
  const header = {
    format: 1 as const,
    index,
    term: 3,
    dataBytes: data.byteLength,
    dataSha256: toHex(sha256(data)),
    takenAtMs: 1,
    members: [],
  };
  writeFileSync(file, encodeBackupFile(header, data, sha256));
  return file;
}

function state(): { bytes: Uint8Array; token: number } {
  const h = new FsmHarness();
  const s = h.client('c', { op: 'openSession', ttlMs: 5_000 }) as { value: { sessionId: number } };
  const a = h.client('c', {
    op: 'acquire',
    sessionId: s.value.sessionId,
    name: 'k',
    limit: 1,
    wait: false,
    lockDelayMs: 0,
  });
  return { bytes: h.fsm.snapshot(), token: (a as { value: { token: number } }).value.token };
}

class Sink {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink();
  const err = new Sink();
  const code = await runRestore(args, out as never, err as never);
  return { code, out: out.text, err: err.text };
}

describe('restoreDataDir', () => {
  it('writes one snapshot at the backup index + bump with the new voters and their addresses', async () => {
    const { bytes, token } = state();
    const dataDir = join(root, 'r1');
    const opts = parseRestoreArgs([
      '--from',
      backup(bytes),
      '--data-dir',
      dataDir,
      '--id',
      'r1',
      '--peers',
      PEERS,
      '--bump-index',
      '100',
    ]);
    if (opts === 'help') throw new Error('help');
    const summary = await restoreDataDir(opts);
    expect(summary).toMatchObject({ backupIndex: 40, snapshotIndex: 140, sessions: 1, voters: ['r1', 'r2', 'r3'] });

    const { storage } = await DiskStorage.open(dataDir);
    try {
      const snap = storage.snapshot();
      expect(snap.metadata).toEqual({
        index: 140,
        term: 1,
        confState: { voters: ['r1', 'r2', 'r3'].map(nodeIdFromName), learners: [] },
      });
      expect(storage.initialState().hardState).toEqual({ term: 1, vote: 0, commit: 140 });
      const node = decodeNodeState(snap.data);
      expect(node.members.map((m) => [m.name, m.peerUrl])).toEqual([
        ['r1', 'http://127.0.0.1:7101'],
        ['r2', 'http://127.0.0.1:7102'],
        ['r3', 'http://127.0.0.1:7103'],
      ]);
      expect(CoordinationFsm.restore(node.fsm).fenceCheck('k', token)).toMatchObject({ current: true });
    } finally {
      await storage.close();
    }
  });

  it('refuses a damaged file, a state that does not verify, and a non-empty directory, writing nothing', async () => {
    const { bytes } = state();
    const good = backup(bytes);
    const damaged = join(root, 'damaged.bak');
    const raw = Buffer.from(
      encodeBackupFile(
        {
          format: 1,
          index: 1,
          term: 1,
          dataBytes: 3,
          dataSha256: toHex(sha256(new Uint8Array([1, 2, 3]))),
          takenAtMs: 1,
          members: [],
        },
        new Uint8Array([1, 2, 3]),
        sha256,
      ),
    );
    raw.writeUInt8((raw.at(-40) ?? 0) ^ 1, raw.length - 40);
    writeFileSync(damaged, raw);
    const notFsm = backup(new Uint8Array([1, 2, 3]));
    const target = join(root, 'target');
    const args = (from: string, dir = target) => ['--from', from, '--data-dir', dir, '--id', 'r1', '--peers', PEERS];

    for (const [from, code, text] of [
      [damaged, RESTORE_EXIT.badBackup, 'BACKUP_CORRUPT'],
      [notFsm, RESTORE_EXIT.badBackup, 'BACKUP_CORRUPT'],
      [join(root, 'missing.bak'), RESTORE_EXIT.failure, 'BACKUP_UNREADABLE'],
    ] as const) {
      const r = await run(args(from));
      expect(r.code, r.err).toBe(code);
      expect(r.err).toContain(text);
      expect(readdirSync(root)).not.toContain('target');
    }

    const occupied = join(root, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'keep-me'), 'x');
    const r = await run(args(good, occupied));
    expect(r.code).toBe(RESTORE_EXIT.dataDirNotEmpty);
    expect(r.err).toContain('DATA_DIR_NOT_EMPTY');
    expect(readdirSync(occupied)).toEqual(['keep-me']);

    const ok = await run(args(good));
    expect(ok.code, ok.err).toBe(RESTORE_EXIT.ok);
  });

  it('checks its flags before touching anything', () => {
    const bad = [
      [],
      ['--from', 'f'],
      ['--from', 'f', '--data-dir', 'd', '--id', 'r9', '--peers', PEERS],
      ['--from', 'f', '--data-dir', 'd', '--id', 'r1', '--peers', PEERS, '--bump-index', '-1'],
      ['--from', 'f', '--data-dir', 'd', '--id', 'r1', '--peers', 'r1=ftp://x'],
      ['--nope'],
    ];
    for (const args of bad) {
      expect(() => parseRestoreArgs(args), args.join(' ')).toThrow(RestoreError);
    }
    expect(parseRestoreArgs(['--help'])).toBe('help');
  });
});
