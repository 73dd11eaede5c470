/**
 * What the server sends: answers to requests (matched by `id`) and pushed events. A response does
 * not say which request type it answers; the client knows from the id and checks `result` with
 * `parseResult(type, result)`.
 */
import { z } from 'zod';
import { RequestIdSchema } from './common.js';
import { ERROR_CODES, type ErrorCode } from './errors.js';
import { type ClientEventOf, type EventFields, type EventName, EventSchema } from './events.js';
import type { ClientResult } from './requests.js';

export const ErrorBodySchema = z.strictObject({
  code: z.enum(ERROR_CODES),
  /** For people; programs branch on `code`. */
  message: z.string(),
  /** The first bad field's path (`ttlMs`, `metadata.pid`), for INVALID_ARGUMENT. */
  field: z.string().optional(),
  /** The leader's client WebSocket URL, for NOT_LEADER when known. */
  leaderHint: z.string().optional(),
  /** For RESOURCE_EXHAUSTED from a rate limit: the same request is admitted after this long. */
  retryAfterMs: z.int().nonnegative().optional(),
});
export type ErrorBody = z.output<typeof ErrorBodySchema>;

export const OkResponseSchema = z.strictObject({
  type: z.literal('response'),
  id: RequestIdSchema,
  ok: z.literal(true),
  /** Every result is an object; its shape depends on the request type (RESULT_SCHEMAS). */
  result: z.record(z.string(), z.unknown()),
});
export type OkResponse = z.output<typeof OkResponseSchema>;

export const ErrorResponseSchema = z.strictObject({
  type: z.literal('response'),
  /** null when the request's id could not be read (malformed JSON, not an object, bad id). */
  id: RequestIdSchema.nullable(),
  ok: z.literal(false),
  error: ErrorBodySchema,
});
export type ErrorResponse = z.output<typeof ErrorResponseSchema>;

export const ResponseSchema = z.discriminatedUnion('ok', [OkResponseSchema, ErrorResponseSchema]);
/** Named ClientResponse so it never shadows the global fetch `Response`. */
export type ClientResponse = z.output<typeof ResponseSchema>;

export const ServerFrameSchema = z.discriminatedUnion('type', [ResponseSchema, EventSchema]);
export type ServerFrame = z.output<typeof ServerFrameSchema>;

export function okResponse(id: string, result: ClientResult): OkResponse {
  return { type: 'response', id, ok: true, result: result as Record<string, unknown> };
}

export interface ErrorExtras {
  field?: string | undefined;
  leaderHint?: string | undefined;
  retryAfterMs?: number | undefined;
}

export function errorResponse(
  id: string | null,
  code: ErrorCode,
  message: string,
  extras: ErrorExtras = {},
): ErrorResponse {
  return { type: 'response', id, ok: false, error: errorBody(code, message, extras) };
}

/** An error body without `undefined`-valued keys, so it equals its own JSON round trip. */
export function errorBody(code: ErrorCode, message: string, extras: ErrorExtras = {}): ErrorBody {
  const body: ErrorBody = { code, message };
  if (extras.field !== undefined) body.field = extras.field;
  if (extras.leaderHint !== undefined) body.leaderHint = extras.leaderHint;
  if (extras.retryAfterMs !== undefined) body.retryAfterMs = extras.retryAfterMs;
  return body;
}

export function event<E extends EventName>(name: E, fields: EventFields<E>): ClientEventOf<E> {
  return { ...fields, type: 'event', event: name } as ClientEventOf<E>;
}
