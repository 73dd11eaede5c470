/**
 * `baton-server restore`: a fresh data directory for a NEW cluster from a backup file (etcd's
 * `etcdutl snapshot restore`). The state machine comes from the file; the membership comes from
 * the flags (the old cluster's members are history). Run it once per new member, with the same
 * file and the same --peers and --bump-index, then start the members as usual.
 *
 * The directory holds one snapshot at index `backup index + bump` (term 1, the new members as
 * voters) and a hard state committing it, nothing else: the new cluster elects a leader at once
 * and every later entry — hence every new fencing token — is above every token in the backup.
 * `--bump-index` lifts them further, above tokens the old cluster may have granted after the
 * backup was taken (etcd's --bump-revision), so a store that saw those still accepts new ones.
 *
 * Refusals change nothing: a damaged or foreign file is BACKUP_CORRUPT (exit 3), a format from a
 * newer release BACKUP_UNSUPPORTED (exit 3), a data directory that is not empty
 * DATA_DIR_NOT_EMPTY (exit 4), bad flags exit 2.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BackupFileError, decodeBackupFile } from '@baton/proto-schemas';
import { CoordinationFsm } from '../fsm/index.js';
import { type Member, MembersError, parseMembers } from '../node/members.js';
import { DiskStorage } from '../storage/disk-storage.js';
import { encodeNodeState } from './node-state.js';

export type RestoreErrorCode =
  | 'BACKUP_CORRUPT'
  | 'BACKUP_UNSUPPORTED'
  | 'BACKUP_UNREADABLE'
  | 'DATA_DIR_NOT_EMPTY'
  | 'INVALID_ARGUMENT';

export class RestoreError extends Error {
  override readonly name = 'RestoreError';
  constructor(
    readonly code: RestoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const RESTORE_EXIT = Object.freeze({
  ok: 0,
  failure: 1,
  usage: 2,
  /** The backup file is damaged, not a backup, or from a newer format. */
  badBackup: 3,
  /** The data directory already holds something. */
  dataDirNotEmpty: 4,
});

export function restoreExitCode(err: unknown): number {
  if (!(err instanceof RestoreError)) return RESTORE_EXIT.failure;
  switch (err.code) {
    case 'INVALID_ARGUMENT':
      return RESTORE_EXIT.usage;
    case 'DATA_DIR_NOT_EMPTY':
      return RESTORE_EXIT.dataDirNotEmpty;
    case 'BACKUP_UNREADABLE':
      return RESTORE_EXIT.failure;
    default:
      return RESTORE_EXIT.badBackup;
  }
}

/** The raft term the new cluster's snapshot carries: a new cluster starts in term 1, as bootstrapLog does. */
const RESTORED_TERM = 1;
/** --bump-index at most this (keeps indexes far from Number.MAX_SAFE_INTEGER). */
export const MAX_BUMP_INDEX = 1_000_000_000_000;

export interface RestoreOptions {
  readonly from: string;
  readonly dataDir: string;
  readonly name: string;
  readonly members: readonly Member[];
  readonly bumpIndex: number;
}

export interface RestoreSummary {
  readonly dataDir: string;
  /** The backup's index in the old cluster, and the snapshot's index in the new one. */
  readonly backupIndex: number;
  readonly snapshotIndex: number;
  readonly sessions: number;
  readonly voters: readonly string[];
}

export const RESTORE_USAGE = `usage: baton-server restore --from FILE --data-dir DIR --id NAME --peers LIST [--client-urls LIST] [--bump-index N]
  Builds a fresh data directory for one member of a NEW cluster from a backup (baton snapshot save).
  Run it for every member with the same FILE, --peers and --bump-index; then start the members.
  --from FILE         the backup file
  --data-dir DIR      must not exist or be empty
  --id NAME           the member this directory is for (one of --peers)
  --peers LIST        the new cluster's members: name=http://host:port,... (all voters)
  --client-urls LIST  name=ws://host:port/v1/client for members whose peer URL is a proxy
  --bump-index N      start the new log N entries later, so new fencing tokens exceed any the old
                      cluster granted after the backup (default 0)
exit codes: 0 done, 2 bad flags, 3 damaged or unsupported backup, 4 data directory not empty, 1 other
`;

export function parseRestoreArgs(argv: readonly string[]): RestoreOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        'data-dir': { type: 'string' },
        id: { type: 'string' },
        peers: { type: 'string' },
        'client-urls': { type: 'string' },
        'bump-index': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new RestoreError('INVALID_ARGUMENT', (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '');
  }
  if (values.help === true) return 'help';
  const need = (flag: string): string => {
    const v = values[flag];
    if (typeof v !== 'string' || v === '') throw new RestoreError('INVALID_ARGUMENT', `--${flag}: required`);
    return v;
  };
  const from = need('from');
  const dataDir = need('data-dir');
  const name = need('id');
  let members: Member[];
  try {
    members = parseMembers(need('peers'), typeof values['client-urls'] === 'string' ? values['client-urls'] : '');
  } catch (err) {
    if (err instanceof MembersError) throw new RestoreError('INVALID_ARGUMENT', `--${err.message}`);
    throw err;
  }
  if (!members.some((m) => m.name === name))
    throw new RestoreError('INVALID_ARGUMENT', `--id: ${name} is not one of --peers`);
  const rawBump = typeof values['bump-index'] === 'string' ? values['bump-index'] : '0';
  const bumpIndex = Number(rawBump);
  if (!/^\d+$/.test(rawBump) || !Number.isSafeInteger(bumpIndex) || bumpIndex > MAX_BUMP_INDEX) {
    throw new RestoreError('INVALID_ARGUMENT', `--bump-index: expected an integer in [0, ${MAX_BUMP_INDEX}]`);
  }
  return { from, dataDir: resolve(dataDir), name, members, bumpIndex };
}

const sha256 = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();

export async function restoreDataDir(opts: RestoreOptions): Promise<RestoreSummary> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(opts.from);
  } catch (err) {
    throw new RestoreError(
      'BACKUP_UNREADABLE',
      `cannot read ${opts.from}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let decoded: ReturnType<typeof decodeBackupFile>;
  try {
    decoded = decodeBackupFile(bytes, sha256);
  } catch (err) {
    if (err instanceof BackupFileError) throw new RestoreError(err.code, `${opts.from}: ${err.message}`);
    throw err;
  }
  let fsm: CoordinationFsm;
  try {
    // the state is checked in full (every invariant) before anything is written
    fsm = CoordinationFsm.restore(decoded.data);
  } catch (err) {
    throw new RestoreError(
      'BACKUP_CORRUPT',
      `${opts.from}: the state machine snapshot is invalid: ${(err as Error).message}`,
    );
  }
  await requireEmptyDir(opts.dataDir);
  await mkdir(opts.dataDir, { recursive: true });
  const index = Math.max(1, decoded.header.index + opts.bumpIndex);
  const { storage } = await DiskStorage.open(opts.dataDir);
  try {
    await storage.persist({
      snapshot: {
        metadata: { index, term: RESTORED_TERM, confState: { voters: opts.members.map((m) => m.id), learners: [] } },
        data: encodeNodeState(opts.members, decoded.data),
      },
      entries: [],
      hardState: { term: RESTORED_TERM, vote: 0, commit: index },
    });
  } finally {
    await storage.close();
  }
  return {
    dataDir: opts.dataDir,
    backupIndex: decoded.header.index,
    snapshotIndex: index,
    sessions: fsm.sessions().length,
    voters: opts.members.map((m) => m.name),
  };
}

async function requireEmptyDir(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new RestoreError(
      'DATA_DIR_NOT_EMPTY',
      `${dir}: cannot use it: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  if (names.length > 0) {
    throw new RestoreError(
      'DATA_DIR_NOT_EMPTY',
      `${dir} is not empty (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}): restore builds a new member's directory and never overwrites one`,
    );
  }
}

/** The `restore` subcommand of baton-server: prints one line and answers an exit code. */
export async function runRestore(
  argv: readonly string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  try {
    const parsed = parseRestoreArgs(argv);
    if (parsed === 'help') {
      out.write(RESTORE_USAGE);
      return RESTORE_EXIT.ok;
    }
    const s = await restoreDataDir(parsed);
    out.write(
      `baton-server restore: ${s.dataDir} holds the backup at index ${s.backupIndex} as snapshot ${s.snapshotIndex} ` +
        `(${s.sessions} sessions; voters ${s.voters.join(', ')}); start ${parsed.name} with --data-dir ${s.dataDir}\n`,
    );
    return RESTORE_EXIT.ok;
  } catch (e) {
    const code = e instanceof RestoreError ? e.code : 'RESTORE_FAILED';
    err.write(`baton-server restore: ${code}: ${e instanceof Error ? e.message : String(e)}\n`);
    return restoreExitCode(e);
  }
}
