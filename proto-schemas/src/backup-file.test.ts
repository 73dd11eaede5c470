import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BACKUP_TRAILER_BYTES,
  BackupFileError,
  type BackupHeader,
  decodeBackupFile,
  encodeBackupFile,
  encodeBackupPrefix,
  toHex,
} from './backup-file.js';

const sha256 = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();
const data = new Uint8Array(Array.from({ length: 5000 }, (_, i) => (i * 31) % 251));
const header: BackupHeader = {
  format: 1,
  index: 1234,
  term: 7,
  dataBytes: data.byteLength,
  dataSha256: toHex(sha256(data)),
  takenAtMs: 1_760_000_000_000,
  members: [{ id: 'n1', peerUrl: 'http://127.0.0.1:7001', clientUrl: 'ws://127.0.0.1:7001/v1/client', role: 'voter' }],
};

function codeOf(bytes: Uint8Array): string {
  try {
    decodeBackupFile(bytes, sha256);
  } catch (err) {
    if (err instanceof BackupFileError) return err.code;
    throw err;
  }
  return 'OK';
}

describe('backup file', () => {
  it('round-trips, and the streamed layout is the in-memory one', () => {
    const file = encodeBackupFile(header, data, sha256);
    const out = decodeBackupFile(file, sha256);
    expect(out.header).toEqual(header);
    expect(Buffer.from(out.data).equals(Buffer.from(data))).toBe(true);
    const prefix = encodeBackupPrefix(header);
    const streamed = Buffer.concat([prefix, data]);
    expect(Buffer.concat([streamed, sha256(streamed)]).equals(Buffer.from(file))).toBe(true);
  });

  it('refuses every single flipped byte and every truncation as BACKUP_CORRUPT', () => {
    const file = encodeBackupFile(header, data, sha256);
    for (let i = 0; i < file.byteLength; i += 97) {
      const bad = file.slice();
      bad[i] = (bad[i] ?? 0) ^ 0x40;
      expect(codeOf(bad), `byte ${i}`).toBe('BACKUP_CORRUPT');
    }
    for (const cut of [0, 5, 12, 100, file.byteLength - BACKUP_TRAILER_BYTES, file.byteLength - 1]) {
      expect(codeOf(file.subarray(0, cut)), `cut at ${cut}`).toBe('BACKUP_CORRUPT');
    }
  });

  it('a data hash that disagrees with the header is refused even with a valid trailer', () => {
    const other = data.slice();
    other[0] = 99;
    expect(codeOf(encodeBackupFile(header, other, sha256))).toBe('BACKUP_CORRUPT');
  });

  it('a newer format is BACKUP_UNSUPPORTED, not corrupt', () => {
    const json = new TextEncoder().encode(JSON.stringify({ ...header, format: 2 }));
    const prefix = Buffer.alloc(12);
    prefix.write('BATONBAK', 0, 'ascii');
    prefix.writeUInt32BE(json.byteLength, 8);
    const body = Buffer.concat([prefix, json, data]);
    expect(codeOf(Buffer.concat([body, sha256(body)]))).toBe('BACKUP_UNSUPPORTED');
  });
});
