/**
 * The backup file `baton snapshot save` writes and `baton-server restore` reads: the contract
 * between the CLI and the server, so it lives here. Layout:
 *
 *   "BATONBAK"                      8 bytes, the magic
 *   u32 big-endian                  length H of the header
 *   header                          H bytes of JSON (BackupHeaderSchema)
 *   data                            header.dataBytes bytes: the state machine snapshot
 *   SHA-256                         32 bytes over everything before it
 *
 * SHA-256 rather than a CRC, as etcd's snapshot files: a backup is copied between machines and
 * kept for months, and node:crypto has it on both sides with no native dependency. The header
 * also carries the data's own SHA-256, which the server computed when it took the snapshot, so
 * the CLI checks the bytes end to end before it renames the file into place.
 *
 * Hashing is passed in (both sides use node:crypto): this package stays free of Node imports.
 */
import { z } from 'zod';
import { BackupMemberSchema } from './admin.js';

export const BACKUP_MAGIC = 'BATONBAK';
export const BACKUP_FORMAT_VERSION = 1;
export const BACKUP_TRAILER_BYTES = 32;
/** The header is a small JSON document; anything larger is not a Baton backup. */
export const BACKUP_MAX_HEADER_BYTES = 1024 * 1024;
const PREFIX_BYTES = BACKUP_MAGIC.length + 4;

export const BackupHeaderSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT_VERSION),
  /** The Raft index and term the state reflects in the source cluster. */
  index: z.int().nonnegative(),
  term: z.int().nonnegative(),
  dataBytes: z.int().nonnegative(),
  dataSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The source node's wall clock when it took the snapshot. */
  takenAtMs: z.int().nonnegative(),
  /** The source cluster's members (for the record: a restore takes the new ones from its flags). */
  members: z.array(BackupMemberSchema),
});
export type BackupHeader = z.output<typeof BackupHeaderSchema>;

export type BackupFileErrorCode = 'BACKUP_CORRUPT' | 'BACKUP_UNSUPPORTED';

export class BackupFileError extends Error {
  override readonly name = 'BackupFileError';
  constructor(
    readonly code: BackupFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** SHA-256 of some bytes (node:crypto's createHash('sha256') on either side). */
export type Sha256 = (bytes: Uint8Array) => Uint8Array;

/** Magic, header length and header: what comes before the data. */
export function encodeBackupPrefix(header: BackupHeader): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(BackupHeaderSchema.parse(header)));
  const out = new Uint8Array(PREFIX_BYTES + json.byteLength);
  out.set(new TextEncoder().encode(BACKUP_MAGIC), 0);
  new DataView(out.buffer).setUint32(BACKUP_MAGIC.length, json.byteLength, false);
  out.set(json, PREFIX_BYTES);
  return out;
}

/** A whole file in memory (tests, small states); the CLI streams the same bytes. */
export function encodeBackupFile(header: BackupHeader, data: Uint8Array, sha256: Sha256): Uint8Array {
  const prefix = encodeBackupPrefix(header);
  const body = new Uint8Array(prefix.byteLength + data.byteLength + BACKUP_TRAILER_BYTES);
  body.set(prefix, 0);
  body.set(data, prefix.byteLength);
  body.set(sha256(body.subarray(0, prefix.byteLength + data.byteLength)), prefix.byteLength + data.byteLength);
  return body;
}

/** Verifies and splits a backup file. Throws BackupFileError naming what is wrong. */
export function decodeBackupFile(bytes: Uint8Array, sha256: Sha256): { header: BackupHeader; data: Uint8Array } {
  if (bytes.byteLength < PREFIX_BYTES + BACKUP_TRAILER_BYTES) corrupt(`only ${bytes.byteLength} bytes`);
  if (new TextDecoder().decode(bytes.subarray(0, BACKUP_MAGIC.length)) !== BACKUP_MAGIC) corrupt('bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(BACKUP_MAGIC.length, false);
  if (headerBytes > BACKUP_MAX_HEADER_BYTES || PREFIX_BYTES + headerBytes + BACKUP_TRAILER_BYTES > bytes.byteLength) {
    corrupt(`header length ${headerBytes} does not fit in ${bytes.byteLength} bytes`);
  }
  const bodyEnd = bytes.byteLength - BACKUP_TRAILER_BYTES;
  if (!sameBytes(sha256(bytes.subarray(0, bodyEnd)), bytes.subarray(bodyEnd))) {
    corrupt('checksum mismatch (the file is damaged or truncated)');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes)),
    );
  } catch {
    corrupt('the header is not JSON');
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (typeof format === 'number' && format !== BACKUP_FORMAT_VERSION) {
    throw new BackupFileError(
      'BACKUP_UNSUPPORTED',
      `backup format ${format} is not supported (this build reads format ${BACKUP_FORMAT_VERSION})`,
    );
  }
  const parsed = BackupHeaderSchema.safeParse(raw);
  if (!parsed.success) corrupt(`header: ${parsed.error.issues[0]?.path.join('.') ?? ''} is invalid`);
  const header = parsed.data;
  const dataStart = PREFIX_BYTES + headerBytes;
  if (bodyEnd - dataStart !== header.dataBytes) {
    corrupt(`the header says ${header.dataBytes} data bytes, the file holds ${bodyEnd - dataStart}`);
  }
  const data = bytes.subarray(dataStart, bodyEnd);
  if (toHex(sha256(data)) !== header.dataSha256) corrupt('the data does not match its SHA-256');
  return { header, data };
}

function corrupt(why: string): never {
  throw new BackupFileError('BACKUP_CORRUPT', `not a valid Baton backup: ${why}`);
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
