/**
 * An entry's bytes: format byte, clientId, seq, atMs, op code, then the op's fields. Decoding
 * checks structure only (types, lengths, UTF-8, no trailing bytes); whether the arguments are
 * acceptable (TTL range, name length…) is apply()'s business, answered as a result.
 */
import { LIMITS } from '@baton/proto-schemas';
import { ByteReader, ByteWriter } from './bytes.js';
import { FsmDecodeError } from './errors.js';
import { metadataJson, parseMetadata } from './metadata.js';
import type { Command, Envelope, Op } from './types.js';

/** First byte of every entry: the format version, so a later format can be told apart. */
const ENVELOPE_FORMAT_V1 = 0xb1;
/**
 * V1 followed by the actor (identity, admin). Written only for entries that carry an actor, so a
 * cluster without auth keeps writing V1 entries that nodes of the previous release can read.
 */
const ENVELOPE_FORMAT_V2 = 0xb2;

/** Wire codes of the operations; never renumber one (they are in every WAL). */
const OP_CODES: Readonly<Record<Op, number>> = {
  openSession: 1,
  closeSession: 2,
  expireSession: 3,
  acquire: 4,
  cancelWait: 5,
  release: 6,
  campaign: 7,
  proclaim: 8,
  resign: 9,
  endLockDelay: 10,
};
const OPS_BY_CODE = new Map<number, Op>(Object.entries(OP_CODES).map(([op, code]) => [code, op as Op]));

export function encodeEnvelope(e: Envelope): Uint8Array {
  // entries are small and the log keeps thousands: scratch start, result packed into a slab
  const w = ByteWriter.inScratch();
  w.u8(e.actor === undefined ? ENVELOPE_FORMAT_V1 : ENVELOPE_FORMAT_V2);
  w.str(e.clientId);
  w.f64(e.seq);
  w.f64(e.atMs);
  const c = e.cmd;
  w.u8(OP_CODES[c.op]);
  switch (c.op) {
    case 'openSession':
      w.f64(c.ttlMs);
      w.optStr(c.label);
      break;
    case 'closeSession':
    case 'expireSession':
      w.f64(c.sessionId);
      break;
    case 'acquire':
      w.f64(c.sessionId);
      w.str(c.name);
      w.f64(c.limit);
      w.bool(c.wait);
      w.f64(c.lockDelayMs);
      w.optStr(c.metadata === undefined ? null : metadataJson(c.metadata));
      break;
    case 'cancelWait':
      w.f64(c.sessionId);
      w.str(c.name);
      break;
    case 'release':
      w.f64(c.sessionId);
      w.str(c.name);
      w.f64(c.token);
      break;
    case 'campaign':
      w.f64(c.sessionId);
      w.str(c.name);
      w.str(c.value);
      break;
    case 'proclaim':
      w.f64(c.sessionId);
      w.str(c.name);
      w.f64(c.term);
      w.str(c.value);
      break;
    case 'resign':
      w.f64(c.sessionId);
      w.str(c.name);
      w.f64(c.term);
      break;
    case 'endLockDelay':
      w.str(c.name);
      w.optF64(c.sinceIndex);
      break;
  }
  if (e.actor !== undefined) {
    w.str(e.actor.identity);
    w.bool(e.actor.admin);
  }
  return w.finish();
}

function fail(reason: string): never {
  throw new FsmDecodeError(reason);
}

/** Throws FsmDecodeError on anything encodeEnvelope could not have written. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const r = new ByteReader(bytes, fail);
  const format = r.u8('format');
  if (format !== ENVELOPE_FORMAT_V1 && format !== ENVELOPE_FORMAT_V2) fail(`unknown format byte ${format}`);
  const clientId = r.str('clientId', LIMITS.maxClientIdBytes);
  const seq = r.uint('seq');
  // leader commands carry no sequence; client commands always do (it is their exactly-once key)
  if ((clientId === '') !== (seq === 0))
    fail(`clientId '${clientId}' with seq ${seq}: '' goes with 0, and only with 0`);
  const atMs = r.f64('atMs');
  const code = r.u8('op');
  const op = OPS_BY_CODE.get(code);
  if (op === undefined) fail(`unknown op code ${code}`);
  const cmd = decodeCommand(op, r);
  if (format === ENVELOPE_FORMAT_V1) {
    r.end();
    return { clientId, seq, atMs, cmd };
  }
  const identity = r.str('actor identity', LIMITS.maxIdentityBytes);
  if (identity === '') fail('actor identity is empty');
  const admin = r.bool('actor admin');
  r.end();
  return { clientId, seq, atMs, cmd, actor: { identity, admin } };
}

function decodeCommand(op: Op, r: ByteReader): Command {
  switch (op) {
    case 'openSession': {
      const ttlMs = r.f64('ttlMs');
      const label = r.optStr('label');
      return label === null ? { op, ttlMs } : { op, ttlMs, label };
    }
    case 'closeSession':
    case 'expireSession':
      return { op, sessionId: r.f64('sessionId') };
    case 'acquire': {
      const sessionId = r.f64('sessionId');
      const name = r.str('name');
      const limit = r.f64('limit');
      const wait = r.bool('wait');
      const lockDelayMs = r.f64('lockDelayMs');
      const json = r.optStr('metadata');
      if (json === null) return { op, sessionId, name, limit, wait, lockDelayMs };
      const metadata = parseMetadata(json);
      if (metadata === null) fail('metadata is not a flat JSON object of strings, numbers, booleans and nulls');
      return { op, sessionId, name, limit, wait, lockDelayMs, metadata };
    }
    case 'cancelWait':
      return { op, sessionId: r.f64('sessionId'), name: r.str('name') };
    case 'release':
      return { op, sessionId: r.f64('sessionId'), name: r.str('name'), token: r.f64('token') };
    case 'campaign':
      return { op, sessionId: r.f64('sessionId'), name: r.str('name'), value: r.str('value') };
    case 'proclaim':
      return { op, sessionId: r.f64('sessionId'), name: r.str('name'), term: r.f64('term'), value: r.str('value') };
    case 'resign':
      return { op, sessionId: r.f64('sessionId'), name: r.str('name'), term: r.f64('term') };
    case 'endLockDelay': {
      const name = r.str('name');
      const sinceIndex = r.optF64('sinceIndex');
      return sinceIndex === null ? { op, name } : { op, name, sinceIndex };
    }
  }
}
