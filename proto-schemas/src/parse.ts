/**
 * Parsing at the boundary (STYLE habit 8). Neither parser throws: every input, however hostile,
 * becomes either a typed frame or a typed error naming the first bad field.
 *
 * Objects are strict: an unknown key is an INVALID_ARGUMENT naming it, not silently dropped, so a
 * misspelt optional field (`timeoutMS`) fails loudly instead of changing the meaning of a request.
 * Adding a field is therefore a protocol change, like any other.
 */
import type { z } from 'zod';
import type { ErrorCode } from './errors.js';
import { fastClientRequest, fastResult, fastServerFrame } from './fast-path.js';
import { type ErrorBody, errorBody, type ServerFrame, ServerFrameSchema } from './frames.js';
import { checkJsonShape, type JsonGuardFailure, joinPath } from './json-guard.js';
import { LIMITS } from './limits.js';
import {
  type ClientRequest,
  type ClientResultOf,
  isRequestType,
  REQUEST_SCHEMAS,
  REQUEST_TYPES,
  RESULT_SCHEMAS,
  type RequestType,
} from './requests.js';
import { utf8ByteLength } from './utf8.js';
import { PROTOCOL_VERSION } from './version.js';

export type ClientFrameParse =
  | { ok: true; request: ClientRequest }
  | { ok: false; id: string | null; error: ErrorBody };

export type ServerFrameParse = { ok: true; frame: ServerFrame } | { ok: false; id: string | null; error: ErrorBody };

export type ResultParse<T extends RequestType> =
  | { ok: true; result: ClientResultOf<T> }
  | { ok: false; error: ErrorBody };

/** How much of an unknown `type` value an error message quotes. */
const MAX_QUOTED_CHARS = 64;

/**
 * A client frame, as the server reads it. Checks in order: size, JSON, nesting and keys, object,
 * `v` (a number other than 1 → UNSUPPORTED_VERSION; missing or not a number → INVALID_ARGUMENT),
 * `id`, `type`, then the request's own fields. The `id` is echoed whenever it is readable.
 */
export function parseClientFrame(text: string): ClientFrameParse {
  const fail = (id: string | null, code: ErrorCode, message: string, field?: string): ClientFrameParse => ({
    ok: false,
    id,
    error: errorBody(code, message, { field }),
  });
  if (typeof text !== 'string') return fail(null, 'INVALID_ARGUMENT', 'frame must be text');
  if (utf8ByteLength(text, LIMITS.maxClientFrameBytes) > LIMITS.maxClientFrameBytes) {
    return fail(null, 'INVALID_ARGUMENT', `frame is larger than ${LIMITS.maxClientFrameBytes} bytes`);
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return fail(null, 'INVALID_ARGUMENT', 'malformed JSON');
  const frame = parsed.value;
  if (!isPlainObject(frame)) return fail(null, 'INVALID_ARGUMENT', 'frame must be a JSON object');
  // the hot request types, checked by hand; anything they are unsure of goes on below
  const fast = fastClientRequest(frame);
  if (fast !== null) return { ok: true, request: fast };

  const id = readableRequestId(frame.id);
  const shapeFailure = checkJsonShape(frame);
  if (shapeFailure !== null) return fail(id, 'INVALID_ARGUMENT', ...describeShapeFailure(shapeFailure));

  if (typeof frame.v !== 'number') {
    return fail(id, 'INVALID_ARGUMENT', `v: must be the protocol version (${PROTOCOL_VERSION})`, 'v');
  }
  if (frame.v !== PROTOCOL_VERSION) {
    return fail(
      id,
      'UNSUPPORTED_VERSION',
      `v: protocol version ${frame.v} is not spoken here (${PROTOCOL_VERSION} is)`,
      'v',
    );
  }
  if (id === null) {
    return fail(null, 'INVALID_ARGUMENT', `id: must be a string of 1..${LIMITS.maxRequestIdBytes} bytes`, 'id');
  }
  if (!isRequestType(frame.type)) {
    const message =
      typeof frame.type === 'string'
        ? `type: unknown request type ${JSON.stringify(frame.type.slice(0, MAX_QUOTED_CHARS))}`
        : `type: must be one of ${REQUEST_TYPES.join(', ')}`;
    return fail(id, 'INVALID_ARGUMENT', message, 'type');
  }

  // The per-type schema directly, not the union: its issues name the request's own fields.
  const result = REQUEST_SCHEMAS[frame.type].safeParse(frame);
  if (!result.success) {
    const { message, field } = describeIssue(result.error.issues);
    return fail(id, 'INVALID_ARGUMENT', message, field);
  }
  return { ok: true, request: result.data };
}

/**
 * A server frame, as the SDK reads it. A frame that does not fit the contract is the server's
 * fault, so it is reported as INTERNAL (the request may or may not have been applied).
 */
export function parseServerFrame(text: string): ServerFrameParse {
  const fail = (id: string | null, message: string, field?: string): ServerFrameParse => ({
    ok: false,
    id,
    error: errorBody('INTERNAL', message, { field }),
  });
  if (typeof text !== 'string') return fail(null, 'frame must be text');
  const parsed = parseJson(text);
  if (!parsed.ok) return fail(null, 'malformed JSON');
  const frame = parsed.value;
  if (!isPlainObject(frame)) return fail(null, 'frame must be a JSON object');
  const fast = fastServerFrame(frame);
  if (fast !== null) return { ok: true, frame: fast };
  const id = frame.type === 'response' ? readableRequestId(frame.id) : null;
  const shapeFailure = checkJsonShape(frame);
  if (shapeFailure !== null) return fail(id, ...describeShapeFailure(shapeFailure));
  const result = ServerFrameSchema.safeParse(frame);
  if (!result.success) {
    const { message, field } = describeIssue(result.error.issues);
    return fail(id, message, field);
  }
  return { ok: true, frame: result.data };
}

/**
 * The `result` of an ok response to a request of `type`. A mismatch is the server's fault
 * (INTERNAL); the field is named from the frame (`result.token`).
 */
export function parseResult<T extends RequestType>(type: T, result: unknown): ResultParse<T> {
  const fast = fastResult(type, result);
  if (fast !== null) return { ok: true, result: fast };
  const schema: z.ZodType = RESULT_SCHEMAS[type];
  const parsed = schema.safeParse(result);
  // The cast only restates the table: RESULT_SCHEMAS[type] parses to ClientResultOf<type>.
  if (parsed.success) return { ok: true, result: parsed.data as ClientResultOf<T> };
  const { message, field } = describeIssue(parsed.error.issues, 'result');
  return { ok: false, error: errorBody('INTERNAL', message, { field }) };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readableRequestId(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return null;
  return utf8ByteLength(value, LIMITS.maxRequestIdBytes) <= LIMITS.maxRequestIdBytes ? value : null;
}

function describeShapeFailure(failure: JsonGuardFailure): [string, string | undefined] {
  const field = failure.path === '' ? undefined : failure.path;
  if (failure.reason === 'tooDeep') {
    return [`${failure.path || 'frame'}: nested deeper than ${LIMITS.maxFrameDepth} levels`, field];
  }
  return [`${failure.path}: forbidden key`, field];
}

/** The first issue as `field: what is wrong`, with the field path (`metadata.pid`, `members[2].id`). */
function describeIssue(issues: readonly z.core.$ZodIssue[], prefix = ''): { message: string; field?: string } {
  const issue = issues[0];
  if (issue === undefined) return { message: 'invalid frame' };
  let path = prefix;
  for (const key of issue.path) path = joinPath(path, typeof key === 'number' ? key : String(key));
  if (issue.code === 'unrecognized_keys') {
    const field = joinPath(path, issue.keys[0] ?? '');
    return { message: `${field}: unknown field`, field };
  }
  if (path === '') return { message: issue.message };
  return { message: `${path}: ${issue.message}`, field: path };
}
