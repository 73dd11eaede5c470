/**
 * Building blocks shared by every request: ids, names, log-index numbers, durations. Each one
 * carries its limit from LIMITS so a schema and its limit can never drift apart.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';
import { hasControlOrLoneSurrogate, utf8ByteLength } from './utf8.js';
import { PROTOCOL_VERSION } from './version.js';

/** A string of `minBytes..maxBytes` UTF-8 bytes (limits count bytes, not UTF-16 code units). */
export function utf8String(minBytes: number, maxBytes: number) {
  return z.string().refine(
    (text) => {
      const bytes = utf8ByteLength(text, maxBytes);
      return bytes >= minBytes && bytes <= maxBytes;
    },
    { error: `must be ${minBytes}..${maxBytes} bytes of UTF-8` },
  );
}

/** Lock, semaphore and election names: 1..maxNameBytes bytes of UTF-8, no control characters. */
export const NameSchema = utf8String(1, LIMITS.maxNameBytes).refine((name) => !hasControlOrLoneSurrogate(name), {
  error: 'must not contain control characters or unpaired surrogates',
});

/** Chosen by the client, echoed in the answer; unique among the connection's pending requests. */
export const RequestIdSchema = utf8String(1, LIMITS.maxRequestIdBytes);

/** Names the client across reconnects: with `seq`, the exactly-once key (Raft thesis §6.3). */
export const ClientIdSchema = utf8String(1, LIMITS.maxClientIdBytes);

/** Raft log indexes (fencing tokens, terms of elections) are positive safe integers. */
export const LogIndexSchema = z.int().positive();

/** A session id is the decimal log index of the entry that opened it (a string, so ids stay opaque). */
export const SessionIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, { error: 'must be the decimal log index of the session' })
  .refine((id) => Number.isSafeInteger(Number(id)), { error: 'must be a safe integer' });

/** A fencing token: the log index of the entry that granted the hold. */
export const TokenSchema = LogIndexSchema;

/** An election term: the fencing token of the leader's hold. */
export const TermSchema = LogIndexSchema;

/** Per-name grant counter: 1, 2, 3… (0 for a name never granted). */
export const GenerationSchema = z.int().nonnegative();

/** Per-client sequence number of a mutating request; with the clientId, its exactly-once key. */
export const SeqSchema = z.int().positive();

/** A duration or age in milliseconds. */
export const DurationMsSchema = z.int().nonnegative();

/** How long a blocking acquire/campaign may wait; absent means LIMITS.maxWaitMs. */
export const WaitTimeoutMsSchema = z.int().min(0).max(LIMITS.maxWaitMs);

/** The fields every request starts with. */
export function requestFields<const T extends string>(type: T) {
  return { v: z.literal(PROTOCOL_VERSION), id: RequestIdSchema, type: z.literal(type) };
}

/** The fields of a mutating request: applied at most once per (clientId, seq). */
export function mutatingRequestFields<const T extends string>(type: T) {
  return { ...requestFields(type), seq: SeqSchema };
}

/** The answer of requests that return nothing but success. */
export const EmptyResultSchema = z.strictObject({});
export type EmptyResult = z.output<typeof EmptyResultSchema>;
