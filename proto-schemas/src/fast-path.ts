/**
 * Hand-written checks for the frames on the hot path: the requests a lock cycle, a keepalive or an
 * election handoff sends, their answers, and the grant event. zod is exact and names the bad
 * field, but costs several microseconds per frame on each side; these cost a fraction of that.
 *
 * Each one accepts a strict subset of what its schema accepts and returns what the schema would
 * return; on any doubt (an unknown key, a nested value, metadata, a value out of range) it
 * returns null and the zod schema decides — and words the error. fast-path.property.test.ts
 * checks on generated frames that whatever these accept, the schemas accept with equal output.
 * Changing a hot schema means changing its check here too; that test fails until both agree.
 */
import type { ServerFrame } from './frames.js';
import { LIMITS } from './limits.js';
import type { ClientRequest, ClientResultOf, RequestType } from './requests.js';
import { utf8Bytes } from './utf8.js';
import { PROTOCOL_VERSION } from './version.js';

type Frame = Record<string, unknown>;

const SESSION_ID = /^[1-9][0-9]{0,15}$/;

/** NameSchema: 1..maxNameBytes bytes of UTF-8, no control character (C0, DEL, C1), no lone surrogate. */
function isName(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > LIMITS.maxNameBytes) return false;
  let bytes = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x80) {
      if (c < 0x20 || c === 0x7f) return false;
      bytes += 1;
    } else if (c < 0x800) {
      if (c <= 0x9f) return false;
      bytes += 2;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = v.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return false;
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes <= LIMITS.maxNameBytes;
}

function isUtf8Within(v: unknown, maxBytes: number): v is string {
  return typeof v === 'string' && v.length <= maxBytes && utf8Bytes(v) <= maxBytes;
}

function isRequestId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && isUtf8Within(v, LIMITS.maxRequestIdBytes);
}

function isSessionId(v: unknown): v is string {
  return typeof v === 'string' && SESSION_ID.test(v) && Number.isSafeInteger(Number(v));
}

function isPositiveInt(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

function isIntIn(v: unknown, min: number, max: number): v is number {
  return Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
}

/** Every own key of `frame` is one of `allowed` (strict objects; no __proto__ and no nesting to guard). */
function onlyKeys(frame: Frame, allowed: ReadonlySet<string>): boolean {
  for (const k in frame) if (!allowed.has(k)) return false;
  return true;
}

const KEYS = {
  'lock.acquire': new Set(['v', 'id', 'type', 'seq', 'sessionId', 'name', 'limit', 'wait', 'timeoutMs', 'lockDelayMs']),
  'lock.release': new Set(['v', 'id', 'type', 'seq', 'sessionId', 'name', 'token']),
  'session.keepalive': new Set(['v', 'id', 'type', 'sessionId']),
  'election.campaign': new Set(['v', 'id', 'type', 'seq', 'sessionId', 'name', 'value', 'timeoutMs']),
  'election.resign': new Set(['v', 'id', 'type', 'seq', 'sessionId', 'name', 'term']),
} as const;

export type FastRequestType = keyof typeof KEYS;

/**
 * A parsed client frame of a hot request type, exactly as REQUEST_SCHEMAS[type] would output it,
 * or null: then parse it with the schema.
 */
export function fastClientRequest(frame: Frame): ClientRequest | null {
  const type = frame.type;
  if (frame.v !== PROTOCOL_VERSION || !isRequestId(frame.id)) return null;
  switch (type) {
    case 'lock.acquire': {
      if (!onlyKeys(frame, KEYS[type])) return null;
      const { id, seq, sessionId, name, limit, wait, timeoutMs, lockDelayMs } = frame;
      if (!isPositiveInt(seq) || !isSessionId(sessionId) || !isName(name) || typeof wait !== 'boolean') return null;
      if (limit !== undefined && !isIntIn(limit, 1, LIMITS.maxSemaphoreLimit)) return null;
      if (timeoutMs !== undefined && (!wait || !isIntIn(timeoutMs, 0, LIMITS.maxWaitMs))) return null;
      if (lockDelayMs !== undefined && !isIntIn(lockDelayMs, 0, LIMITS.maxLockDelayMs)) return null;
      const r: Record<string, unknown> = {
        v: PROTOCOL_VERSION,
        id,
        type,
        seq,
        sessionId,
        name,
        limit: limit ?? 1,
        wait,
      };
      if (timeoutMs !== undefined) r.timeoutMs = timeoutMs;
      if (lockDelayMs !== undefined) r.lockDelayMs = lockDelayMs;
      return r as ClientRequest;
    }
    case 'lock.release': {
      if (!onlyKeys(frame, KEYS[type])) return null;
      const { id, seq, sessionId, name, token } = frame;
      if (!isPositiveInt(seq) || !isSessionId(sessionId) || !isName(name) || !isPositiveInt(token)) return null;
      return { v: PROTOCOL_VERSION, id, type, seq, sessionId, name, token } as ClientRequest;
    }
    case 'session.keepalive': {
      if (!onlyKeys(frame, KEYS[type]) || !isSessionId(frame.sessionId)) return null;
      return { v: PROTOCOL_VERSION, id: frame.id, type, sessionId: frame.sessionId } as ClientRequest;
    }
    case 'election.campaign': {
      if (!onlyKeys(frame, KEYS[type])) return null;
      const { id, seq, sessionId, name, value, timeoutMs } = frame;
      if (!isPositiveInt(seq) || !isSessionId(sessionId) || !isName(name)) return null;
      if (!isUtf8Within(value, LIMITS.maxValueBytes)) return null;
      if (timeoutMs !== undefined && !isIntIn(timeoutMs, 0, LIMITS.maxWaitMs)) return null;
      const r: Record<string, unknown> = { v: PROTOCOL_VERSION, id, type, seq, sessionId, name, value };
      if (timeoutMs !== undefined) r.timeoutMs = timeoutMs;
      return r as ClientRequest;
    }
    case 'election.resign': {
      if (!onlyKeys(frame, KEYS[type])) return null;
      const { id, seq, sessionId, name, term } = frame;
      if (!isPositiveInt(seq) || !isSessionId(sessionId) || !isName(name) || !isPositiveInt(term)) return null;
      return { v: PROTOCOL_VERSION, id, type, seq, sessionId, name, term } as ClientRequest;
    }
    default:
      return null;
  }
}

/** Strict objects of known keys and primitive values only: what the hot answers look like. */
function keysAre(o: Frame, keys: readonly string[]): boolean {
  let n = 0;
  for (const k in o) {
    if (!keys.includes(k)) return false;
    n++;
  }
  return n === keys.length;
}

const ACQUIRED_KEYS = ['acquired', 'token', 'generation'] as const;
const KEEPALIVE_KEYS = ['ttlMs', 'remainingMs'] as const;
const TERM_KEYS = ['term'] as const;

/**
 * The result of an ok answer to a hot request, exactly as RESULT_SCHEMAS[type] would output it,
 * or null: then parse it with the schema.
 */
export function fastResult<T extends RequestType>(type: T, result: unknown): ClientResultOf<T> | null {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return null;
  const r = result as Frame;
  switch (type) {
    case 'lock.acquire':
      if (r.acquired === true) {
        if (!keysAre(r, ACQUIRED_KEYS) || !isPositiveInt(r.token) || !isIntIn(r.generation, 0, Number.MAX_SAFE_INTEGER))
          return null;
        return { acquired: true, token: r.token, generation: r.generation } as ClientResultOf<T>;
      }
      if (r.acquired === false && keysAre(r, ['acquired'])) return { acquired: false } as ClientResultOf<T>;
      return null;
    case 'lock.release':
    case 'election.resign':
    case 'election.proclaim':
    case 'session.close':
      return keysAre(r, []) ? ({} as ClientResultOf<T>) : null;
    case 'session.keepalive':
      if (!keysAre(r, KEEPALIVE_KEYS) || !isIntIn(r.ttlMs, LIMITS.minTtlMs, LIMITS.maxTtlMs)) return null;
      if (!isIntIn(r.remainingMs, 0, Number.MAX_SAFE_INTEGER)) return null;
      return { ttlMs: r.ttlMs, remainingMs: r.remainingMs } as ClientResultOf<T>;
    case 'election.campaign':
      if (!keysAre(r, TERM_KEYS) || !isPositiveInt(r.term)) return null;
      return { term: r.term } as ClientResultOf<T>;
    default:
      return null;
  }
}

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const RESPONSE_KEYS = ['type', 'id', 'ok', 'result'] as const;
const GRANTED_KEYS: ReadonlySet<string> = new Set([
  'type',
  'event',
  'sessionId',
  'name',
  'token',
  'generation',
  'requestId',
]);

function isFlatObject(v: unknown): v is Frame {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const k in v) {
    if (FORBIDDEN_KEYS.has(k)) return false;
    const x = (v as Frame)[k];
    if (typeof x === 'object' && x !== null) return false;
  }
  return true;
}

/**
 * A parsed server frame that is an ok answer with a flat result, or a grant event, exactly as
 * ServerFrameSchema would output it; null otherwise (then parse it with the schema). The result
 * itself is checked by parseResult / fastResult.
 */
export function fastServerFrame(frame: Frame): ServerFrame | null {
  if (frame.type === 'response') {
    if (frame.ok !== true || !keysAre(frame, RESPONSE_KEYS) || !isRequestId(frame.id)) return null;
    if (!isFlatObject(frame.result)) return null;
    return { type: 'response', id: frame.id, ok: true, result: frame.result } as ServerFrame;
  }
  if (frame.type === 'event' && frame.event === 'granted') {
    if (!onlyKeys(frame, GRANTED_KEYS)) return null;
    const { sessionId, name, token, generation, requestId } = frame;
    if (!isSessionId(sessionId) || !isName(name) || !isPositiveInt(token) || !isPositiveInt(generation)) return null;
    if (requestId !== undefined && !isRequestId(requestId)) return null;
    const e: Record<string, unknown> = { type: 'event', event: 'granted', sessionId, name, token, generation };
    if (requestId !== undefined) e.requestId = requestId;
    return e as ServerFrame;
  }
  return null;
}
