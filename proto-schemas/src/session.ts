/**
 * Sessions (DESIGN §4): open and close are log entries; keepalives are answered by the leader from
 * memory while its lease is valid, so they carry no `seq`.
 */
import { z } from 'zod';
import { DurationMsSchema, mutatingRequestFields, requestFields, SessionIdSchema, utf8String } from './common.js';
import { LIMITS } from './limits.js';

export const TtlMsSchema = z.int().min(LIMITS.minTtlMs).max(LIMITS.maxTtlMs);

export const SessionOpenRequestSchema = z.strictObject({
  ...mutatingRequestFields('session.open'),
  ttlMs: TtlMsSchema,
  label: utf8String(0, LIMITS.maxSessionLabelBytes).optional(),
});
export type SessionOpenRequest = z.output<typeof SessionOpenRequestSchema>;

export const SessionOpenResultSchema = z.strictObject({ sessionId: SessionIdSchema, ttlMs: TtlMsSchema });
export type SessionOpenResult = z.output<typeof SessionOpenResultSchema>;

export const SessionKeepaliveRequestSchema = z.strictObject({
  ...requestFields('session.keepalive'),
  sessionId: SessionIdSchema,
});
export type SessionKeepaliveRequest = z.output<typeof SessionKeepaliveRequestSchema>;

export const SessionKeepaliveResultSchema = z.strictObject({
  ttlMs: TtlMsSchema,
  /** Time left before the leader expires the session, measured by the leader after this keepalive. */
  remainingMs: DurationMsSchema,
});
export type SessionKeepaliveResult = z.output<typeof SessionKeepaliveResultSchema>;

export const SessionCloseRequestSchema = z.strictObject({
  ...mutatingRequestFields('session.close'),
  sessionId: SessionIdSchema,
});
export type SessionCloseRequest = z.output<typeof SessionCloseRequestSchema>;
