/**
 * Elections (DESIGN §4): a lock whose holder carries a value; the holder's fencing token is the
 * leadership term.
 */
import { z } from 'zod';
import {
  mutatingRequestFields,
  NameSchema,
  requestFields,
  SessionIdSchema,
  TermSchema,
  utf8String,
  WaitTimeoutMsSchema,
} from './common.js';
import { LIMITS } from './limits.js';

export const ElectionValueSchema = utf8String(0, LIMITS.maxValueBytes);

export const ElectionLeaderSchema = z.strictObject({
  sessionId: SessionIdSchema,
  value: ElectionValueSchema,
  term: TermSchema,
});
export type ElectionLeader = z.output<typeof ElectionLeaderSchema>;

/** The leader of a name, or null when there is none. */
export const ElectionLeaderOrNoneSchema = z.strictObject({ leader: ElectionLeaderSchema.nullable() });

export const ElectionCampaignRequestSchema = z.strictObject({
  ...mutatingRequestFields('election.campaign'),
  sessionId: SessionIdSchema,
  name: NameSchema,
  value: ElectionValueSchema,
  /** Absent means LIMITS.maxWaitMs. Runs out → TIMEOUT; lock.cancel → CANCELLED. */
  timeoutMs: WaitTimeoutMsSchema.optional(),
});
export type ElectionCampaignRequest = z.output<typeof ElectionCampaignRequestSchema>;

/** Answered only once the candidate is leader. */
export const ElectionCampaignResultSchema = z.strictObject({ term: TermSchema });
export type ElectionCampaignResult = z.output<typeof ElectionCampaignResultSchema>;

export const ElectionProclaimRequestSchema = z.strictObject({
  ...mutatingRequestFields('election.proclaim'),
  sessionId: SessionIdSchema,
  name: NameSchema,
  /** Not the current term of this session's leadership → NOT_HOLDER. */
  term: TermSchema,
  value: ElectionValueSchema,
});
export type ElectionProclaimRequest = z.output<typeof ElectionProclaimRequestSchema>;

export const ElectionResignRequestSchema = z.strictObject({
  ...mutatingRequestFields('election.resign'),
  sessionId: SessionIdSchema,
  name: NameSchema,
  term: TermSchema,
});
export type ElectionResignRequest = z.output<typeof ElectionResignRequestSchema>;

export const ElectionLeaderRequestSchema = z.strictObject({
  ...requestFields('election.leader'),
  name: NameSchema,
});
export type ElectionLeaderRequest = z.output<typeof ElectionLeaderRequestSchema>;

export const ElectionLeaderResultSchema = ElectionLeaderOrNoneSchema;
export type ElectionLeaderResult = z.output<typeof ElectionLeaderResultSchema>;

/** Answers the current leader, then pushes an `election` event on every change, "no leader" too. */
export const ElectionObserveRequestSchema = z.strictObject({
  ...requestFields('election.observe'),
  name: NameSchema,
});
export type ElectionObserveRequest = z.output<typeof ElectionObserveRequestSchema>;

export const ElectionObserveResultSchema = ElectionLeaderOrNoneSchema;
export type ElectionObserveResult = z.output<typeof ElectionObserveResultSchema>;

export const ElectionUnobserveRequestSchema = z.strictObject({
  ...requestFields('election.unobserve'),
  name: NameSchema,
});
export type ElectionUnobserveRequest = z.output<typeof ElectionUnobserveRequestSchema>;
