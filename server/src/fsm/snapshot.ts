/**
 * The whole state in one deterministic encoding: sessions by id, names in creation order, the
 * idle (eviction) order, the dedup table in eviction order with each client's results by seq.
 * Two nodes that applied the same entries produce the same bytes, and encode(decode(b)) === b.
 * Decoding validates everything it reads; the caller then checks the invariants.
 */
import { LIMITS } from '@baton/proto-schemas';
import { ByteReader, ByteWriter } from './bytes.js';
import { DedupTable } from './dedup.js';
import { FsmSnapshotError } from './errors.js';
import type { Machine } from './machine.js';
import { metadataJson, parseMetadata } from './metadata.js';
import { NameTable } from './name-table.js';
import { append, isIdle, type NameState, type SessionState } from './state.js';
import type { CommandResult, HoldMetadata, NameKind } from './types.js';

const SNAPSHOT_MAGIC = [0x42, 0x46, 0x53, 0x4d]; // "BFSM"
const SNAPSHOT_FORMAT_V1 = 1;
/**
 * V1 plus each session's owner. Written only when some session has an owner, so a cluster without
 * auth keeps producing V1 snapshots (byte for byte as before, readable by the previous release).
 */
const SNAPSHOT_FORMAT_V2 = 2;
const KINDS: readonly NameKind[] = ['lock', 'election'];

/** Rough bytes per session and per name (a lock with one holder): the writer's first size. */
const SESSION_BYTES_GUESS = 40;
const NAME_BYTES_GUESS = 110;

/**
 * Headroom over the size predicted from the previous snapshot: little enough that finish() hands
 * the buffer over as it is (it copies when more than a quarter is spare).
 */
const PREDICTED_SIZE_HEADROOM = 1 / 16;

/** How big a snapshot was and how many items it held: predicts the next one's size. */
export interface SnapshotSizing {
  readonly bytes: number;
  readonly items: number;
}

/** Sessions, names and stored dedup results: what a snapshot's size grows with. */
export function snapshotItems(m: Machine): number {
  let items = m.sessions.size + m.names.size + m.dedup.clients.size;
  for (const c of m.dedup.clients.values()) items += c.results.size;
  return items;
}

/**
 * The writer's first size. From the previous snapshot's bytes per item when there was one; the
 * fixed per-item guesses fall short when names or results are longer than they assume, and a
 * writer that must grow doubles and is then copied once more (at 100,000 locks an 11 MB snapshot
 * cost 45 MB of short-lived buffers, which the allocator kept as resident memory).
 */
export function snapshotCapacityBytes(m: Machine, previous: SnapshotSizing | null): number {
  const guess = 4096 + m.sessions.size * SESSION_BYTES_GUESS + m.names.size * NAME_BYTES_GUESS;
  if (previous === null || previous.items === 0) return guess;
  const predicted = (previous.bytes / previous.items) * snapshotItems(m) * (1 + PREDICTED_SIZE_HEADROOM);
  return Math.max(4096, Math.ceil(predicted));
}

/** `prefix`, when given, is written first: the caller's header, without a copy of the state after. */
export function encodeSnapshot(
  m: Machine,
  appliedIndex: number,
  previous: SnapshotSizing | null = null,
  prefix?: Uint8Array,
): Uint8Array {
  return runSteps(encodeSnapshotSteps(m, appliedIndex, previous, prefix));
}

/** Runs a stepped encoding (encodeSnapshotSteps, snapshotSteps) to its end in one go. */
export function runSteps<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/** How many sessions, names or dedup clients one step of encodeSnapshotSteps encodes at most. */
export const SNAPSHOT_STEP_ITEMS = 512;

/**
 * encodeSnapshot in steps: each next() encodes up to SNAPSHOT_STEP_ITEMS items, the last returns
 * the bytes (the same as encodeSnapshot's). The machine must not change until then: the node
 * loop stops applying while it runs the steps between its other work (at 100,000 held locks the
 * whole encoding is 60-190 ms, several times that on a loaded machine: one stretch of it kept a
 * leader from sending heartbeats for as long).
 */
export function* encodeSnapshotSteps(
  m: Machine,
  appliedIndex: number,
  previous: SnapshotSizing | null = null,
  prefix?: Uint8Array,
): Generator<void, Uint8Array, void> {
  let budget = SNAPSHOT_STEP_ITEMS;
  const w = new ByteWriter((prefix?.byteLength ?? 0) + snapshotCapacityBytes(m, previous));
  if (prefix !== undefined) w.raw(prefix);
  for (const b of SNAPSHOT_MAGIC) w.u8(b);
  const owners = [...m.sessions.values()].some((s) => s.owner !== null);
  w.u8(owners ? SNAPSHOT_FORMAT_V2 : SNAPSHOT_FORMAT_V1);
  w.f64(appliedIndex);

  w.u32(m.sessions.size);
  for (const s of m.sessions.values()) {
    if (--budget === 0) {
      yield;
      budget = SNAPSHOT_STEP_ITEMS;
    }
    w.f64(s.id);
    w.f64(s.ttlMs);
    w.f64(s.openedAtMs);
    w.optStr(s.label);
    if (owners) w.optStr(s.owner);
  }

  w.u32(m.names.size);
  for (const n of m.names.byName.values()) {
    if (--budget === 0) {
      yield;
      budget = SNAPSHOT_STEP_ITEMS;
    }
    w.str(n.name);
    w.u8(KINDS.indexOf(n.kind));
    w.f64(n.limit);
    w.f64(n.generation);
    w.f64(n.newestToken);
    w.u32(n.holders.length);
    for (const h of n.holders) {
      w.f64(h.sessionId);
      w.f64(h.token);
      w.f64(h.generation);
      w.f64(h.sinceMs);
      w.f64(h.lockDelayMs);
      w.optStr(h.metadata === null ? null : metadataJson(h.metadata));
      w.optStr(h.value);
      w.bool(h.fromWait);
    }
    w.u32(n.waiters.length);
    for (const x of n.waiters) {
      w.f64(x.sessionId);
      w.f64(x.enqueuedIndex);
      w.f64(x.sinceMs);
      w.f64(x.lockDelayMs);
      w.optStr(x.metadata === null ? null : metadataJson(x.metadata));
      w.optStr(x.value);
    }
    w.u32(n.reservations.length);
    for (const r of n.reservations) {
      w.f64(r.sinceIndex);
      w.f64(r.sinceMs);
      w.f64(r.lockDelayMs);
    }
  }

  w.u32(m.names.idle.size);
  for (const name of m.names.idle.keys()) {
    if (--budget === 0) {
      yield;
      budget = SNAPSHOT_STEP_ITEMS;
    }
    w.str(name);
  }

  w.u32(m.dedup.clients.size);
  for (const [clientId, c] of m.dedup.clients) {
    if (--budget === 0) {
      yield;
      budget = SNAPSHOT_STEP_ITEMS;
    }
    w.str(clientId);
    w.f64(c.highestSeq);
    // by seq, whatever order they applied in: the bytes depend on the table's content only
    const seqs = [...c.results.keys()].sort((a, b) => a - b);
    w.u32(seqs.length);
    for (const seq of seqs) {
      w.f64(seq);
      w.str(JSON.stringify(c.results.get(seq)));
    }
  }
  return w.finish();
}

function fail(reason: string): never {
  throw new FsmSnapshotError(reason);
}

function metadataOf(json: string | null, what: string): HoldMetadata | null {
  if (json === null) return null;
  const m = parseMetadata(json);
  if (m === null) fail(`${what} metadata is not a flat JSON object`);
  return m;
}

function resultOf(json: string, what: string): CommandResult {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return fail(`${what} is not JSON`);
  }
  const r = v as { ok?: unknown; value?: unknown; code?: unknown; message?: unknown };
  if (typeof v !== 'object' || v === null) fail(`${what} is not a result`);
  if (r.ok === true && typeof r.value === 'object' && r.value !== null) return v as CommandResult;
  if (r.ok === false && typeof r.code === 'string' && typeof r.message === 'string') return v as CommandResult;
  return fail(`${what} is not a result`);
}

/** Smallest encodings of a list item, so a corrupt count is refused before it is looped over. */
const MIN_SESSION_BYTES = 25;
const MIN_NAME_BYTES = 41;
const MIN_HOLD_BYTES = 43;
const MIN_WAITER_BYTES = 34;
const MIN_RESERVATION_BYTES = 24;
const MIN_STRING_BYTES = 4;
const MIN_CLIENT_BYTES = 16;
const MIN_RESULT_BYTES = 12;

export function decodeSnapshot(bytes: Uint8Array): { machine: Machine; appliedIndex: number } {
  const r = new ByteReader(bytes, fail);
  for (const b of SNAPSHOT_MAGIC) if (r.u8('magic') !== b) fail('bad magic (not a Baton state machine snapshot)');
  const format = r.u8('format');
  if (format !== SNAPSHOT_FORMAT_V1 && format !== SNAPSHOT_FORMAT_V2) fail(`unknown snapshot format ${format}`);
  const appliedIndex = r.uint('appliedIndex');

  const sessions = new Map<number, SessionState>();
  const sessionCount = r.count('session count', MIN_SESSION_BYTES);
  if (sessionCount > LIMITS.maxSessions) fail(`${sessionCount} sessions, over ${LIMITS.maxSessions}`);
  let lastId = 0;
  for (let i = 0; i < sessionCount; i++) {
    const id = r.uint('session id');
    if (id <= lastId) fail(`session ids out of order at ${id}`);
    lastId = id;
    const ttlMs = r.uint('ttlMs');
    const openedAtMs = r.f64('openedAtMs');
    const label = r.optStr('label', LIMITS.maxSessionLabelBytes);
    const owner = format === SNAPSHOT_FORMAT_V1 ? null : r.optStr('owner', LIMITS.maxIdentityBytes);
    if (owner === '') fail(`session ${id} has an empty owner`);
    sessions.set(id, { id, ttlMs, label, openedAtMs, owner, names: new Set() });
  }

  const names = new NameTable();
  const nameCount = r.count('name count', MIN_NAME_BYTES);
  if (nameCount > LIMITS.maxNames) fail(`${nameCount} names, over ${LIMITS.maxNames}`);
  for (let i = 0; i < nameCount; i++) {
    const name = r.str('name', LIMITS.maxNameBytes);
    if (names.get(name) !== undefined) fail(`name '${name}' appears twice`);
    const kind = KINDS[r.u8('kind')];
    if (kind === undefined) fail(`name '${name}' has an unknown kind`);
    const n: NameState = names.create(name, kind, r.uint('limit'));
    n.generation = r.uint('generation');
    n.newestToken = r.uint('newestToken');
    const holderCount = r.count('holder count', MIN_HOLD_BYTES);
    for (let j = 0; j < holderCount; j++) {
      const sessionId = r.uint('holder session');
      n.holders = append(n.holders, {
        sessionId,
        token: r.uint('token'),
        generation: r.uint('hold generation'),
        sinceMs: r.f64('hold sinceMs'),
        lockDelayMs: r.uint('hold lockDelayMs'),
        metadata: metadataOf(r.optStr('hold metadata', LIMITS.maxMetadataBytes), `'${name}' holder`),
        value: r.optStr('hold value', LIMITS.maxValueBytes),
        fromWait: r.bool('fromWait'),
      });
      sessions.get(sessionId)?.names.add(name);
    }
    const waiterCount = r.count('waiter count', MIN_WAITER_BYTES);
    for (let j = 0; j < waiterCount; j++) {
      const sessionId = r.uint('waiter session');
      n.waiters = append(n.waiters, {
        sessionId,
        enqueuedIndex: r.uint('enqueuedIndex'),
        sinceMs: r.f64('waiter sinceMs'),
        lockDelayMs: r.uint('waiter lockDelayMs'),
        metadata: metadataOf(r.optStr('waiter metadata', LIMITS.maxMetadataBytes), `'${name}' waiter`),
        value: r.optStr('waiter value', LIMITS.maxValueBytes),
      });
      sessions.get(sessionId)?.names.add(name);
    }
    const reservationCount = r.count('reservation count', MIN_RESERVATION_BYTES);
    for (let j = 0; j < reservationCount; j++) {
      n.reservations = append(n.reservations, {
        sinceIndex: r.uint('reservation sinceIndex'),
        sinceMs: r.f64('reservation sinceMs'),
        lockDelayMs: r.uint('reservation lockDelayMs'),
      });
    }
  }

  const idleCount = r.count('idle count', MIN_STRING_BYTES);
  for (let i = 0; i < idleCount; i++) {
    const name = r.str('idle name', LIMITS.maxNameBytes);
    const n = names.get(name);
    if (n === undefined || !isIdle(n) || names.idle.has(name)) fail(`idle list entry '${name}' is wrong`);
    names.idle.set(name, n);
  }
  for (const n of names.byName.values()) {
    if (isIdle(n) && !names.idle.has(n.name)) fail(`idle name '${n.name}' is missing from the idle list`);
  }

  const dedup = new DedupTable();
  const clientCount = r.count('client count', MIN_CLIENT_BYTES);
  if (clientCount > dedup.maxClients) fail(`${clientCount} dedup clients, over ${dedup.maxClients}`);
  for (let i = 0; i < clientCount; i++) {
    const clientId = r.str('clientId', LIMITS.maxClientIdBytes);
    if (clientId === '' || dedup.clients.has(clientId)) fail(`dedup client '${clientId}' is empty or repeated`);
    const highestSeq = r.uint('highestSeq');
    const resultCount = r.count('result count', MIN_RESULT_BYTES);
    if (resultCount > dedup.window) fail(`client '${clientId}' has ${resultCount} results, over ${dedup.window}`);
    const results = new Map<number, CommandResult>();
    let lastSeq = highestSeq - dedup.window;
    for (let j = 0; j < resultCount; j++) {
      const seq = r.uint('seq');
      if (seq <= lastSeq || seq > highestSeq) fail(`client '${clientId}' seq ${seq} is out of order or window`);
      lastSeq = seq;
      results.set(seq, resultOf(r.str('result'), `client '${clientId}' seq ${seq} result`));
    }
    if (!results.has(highestSeq)) fail(`client '${clientId}' lacks the result of its highest seq`);
    dedup.clients.set(clientId, { highestSeq, results });
  }
  r.end();
  return { machine: { sessions, names, dedup }, appliedIndex };
}
