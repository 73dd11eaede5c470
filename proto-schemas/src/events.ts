/** Events the server pushes on the connection that owns the session (or observes the election). */
import { z } from 'zod';
import { GenerationSchema, NameSchema, RequestIdSchema, SessionIdSchema, TokenSchema } from './common.js';
import { ElectionLeaderSchema } from './election.js';

function eventFields<const E extends string>(event: E) {
  return { type: z.literal('event'), event: z.literal(event) };
}

/**
 * A waiting acquire was granted and no request of this connection is waiting for that answer (the
 * request timed out or was cancelled while the wait stayed queued): when the waiting request is
 * still open, its own answer carries the grant instead, and no event is sent.
 */
export const GrantedEventSchema = z.strictObject({
  ...eventFields('granted'),
  sessionId: SessionIdSchema,
  name: NameSchema,
  token: TokenSchema,
  generation: GenerationSchema.min(1),
  /** The acquire that asked for it, when it came from this connection. */
  requestId: RequestIdSchema.optional(),
});

export const LOST_REASONS = ['expired', 'closed', 'revoked'] as const;
export type LostReason = (typeof LOST_REASONS)[number];

/** A hold ended without a release by its holder: stop using the token. */
export const LostEventSchema = z.strictObject({
  ...eventFields('lost'),
  sessionId: SessionIdSchema,
  name: NameSchema,
  token: TokenSchema,
  reason: z.enum(LOST_REASONS),
});

export const SessionExpiredEventSchema = z.strictObject({
  ...eventFields('sessionExpired'),
  sessionId: SessionIdSchema,
});

/** An observed election changed leader, value or term; `leader: null` means no leader. */
export const ElectionEventSchema = z.strictObject({
  ...eventFields('election'),
  name: NameSchema,
  leader: ElectionLeaderSchema.nullable(),
});

export const EventSchema = z.discriminatedUnion('event', [
  GrantedEventSchema,
  LostEventSchema,
  SessionExpiredEventSchema,
  ElectionEventSchema,
]);

export type ClientEvent = z.output<typeof EventSchema>;
export type EventName = ClientEvent['event'];
export type ClientEventOf<E extends EventName> = Extract<ClientEvent, { event: E }>;
/** An event's own fields, without the `type`/`event` envelope. */
export type EventFields<E extends EventName> = Omit<ClientEventOf<E>, 'type' | 'event'>;
