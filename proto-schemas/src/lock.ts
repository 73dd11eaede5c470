/**
 * Locks and semaphores (DESIGN §4): a lock is a semaphore with limit 1. Tokens are log indexes of
 * the granting entries; `generation` counts grants per name.
 */
import { z } from 'zod';
import {
  DurationMsSchema,
  GenerationSchema,
  mutatingRequestFields,
  NameSchema,
  RequestIdSchema,
  requestFields,
  SessionIdSchema,
  TokenSchema,
  WaitTimeoutMsSchema,
} from './common.js';
import { LIMITS } from './limits.js';
import { utf8ByteLength } from './utf8.js';

/** Who holds or waits: shown by describe, never interpreted by the server. */
export const MetadataSchema = z
  .strictObject({
    owner: z.string().optional(),
    host: z.string().optional(),
    pid: z.int().nonnegative().optional(),
  })
  .refine((metadata) => utf8ByteLength(JSON.stringify(metadata), LIMITS.maxMetadataBytes) <= LIMITS.maxMetadataBytes, {
    error: `must be at most ${LIMITS.maxMetadataBytes} bytes as JSON`,
  });
export type Metadata = z.output<typeof MetadataSchema>;

export const SemaphoreLimitSchema = z.int().min(1).max(LIMITS.maxSemaphoreLimit);

export const LockAcquireRequestSchema = z
  .strictObject({
    ...mutatingRequestFields('lock.acquire'),
    sessionId: SessionIdSchema,
    name: NameSchema,
    /** Holders allowed at once; 1 (the default) makes a lock. */
    limit: SemaphoreLimitSchema.default(1),
    /** false = try: answered at once, `{acquired: false}` when the name is full. */
    wait: z.boolean(),
    /** Only with `wait: true`; absent means LIMITS.maxWaitMs. Runs out → TIMEOUT. */
    timeoutMs: WaitTimeoutMsSchema.optional(),
    /** After this hold's session expires (not a clean release), the name is not granted for this long. */
    lockDelayMs: z.int().min(0).max(LIMITS.maxLockDelayMs).optional(),
    metadata: MetadataSchema.optional(),
  })
  .superRefine((request, ctx) => {
    // A try never waits: a timeout on it is a client bug worth naming rather than ignoring.
    if (!request.wait && request.timeoutMs !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['timeoutMs'], message: 'is only allowed with wait: true' });
    }
  });
export type LockAcquireRequest = z.output<typeof LockAcquireRequestSchema>;

export const LockAcquireResultSchema = z.discriminatedUnion('acquired', [
  z.strictObject({ acquired: z.literal(true), token: TokenSchema, generation: GenerationSchema }),
  /** Only for a try (`wait: false`) on a full name. */
  z.strictObject({ acquired: z.literal(false) }),
]);
export type LockAcquireResult = z.output<typeof LockAcquireResultSchema>;

/** Cancels this connection's pending waiting acquire or campaign; that request answers CANCELLED. */
export const LockCancelRequestSchema = z.strictObject({
  ...requestFields('lock.cancel'),
  requestId: RequestIdSchema,
});
export type LockCancelRequest = z.output<typeof LockCancelRequestSchema>;

/** `cancelled: false` when nothing was pending under that id (already granted, answered or unknown). */
export const LockCancelResultSchema = z.strictObject({ cancelled: z.boolean() });
export type LockCancelResult = z.output<typeof LockCancelResultSchema>;

export const LockReleaseRequestSchema = z.strictObject({
  ...mutatingRequestFields('lock.release'),
  sessionId: SessionIdSchema,
  name: NameSchema,
  /** A token that is not a current hold of this session → NOT_HOLDER, nothing changes. */
  token: TokenSchema,
});
export type LockReleaseRequest = z.output<typeof LockReleaseRequestSchema>;

export const LockDescribeRequestSchema = z.strictObject({
  ...requestFields('lock.describe'),
  name: NameSchema,
});
export type LockDescribeRequest = z.output<typeof LockDescribeRequestSchema>;

export const NAME_KINDS = ['lock', 'semaphore', 'election', 'none'] as const;
export type NameKind = (typeof NAME_KINDS)[number];

export const HolderSchema = z.strictObject({
  sessionId: SessionIdSchema,
  token: TokenSchema,
  generation: GenerationSchema.min(1),
  /** How long ago the hold was granted, as measured by the answering node. */
  sinceMs: DurationMsSchema,
  metadata: MetadataSchema.optional(),
});
export type Holder = z.output<typeof HolderSchema>;

export const WaiterSchema = z.strictObject({
  sessionId: SessionIdSchema,
  /** How long ago the wait began, as measured by the answering node. */
  sinceMs: DurationMsSchema,
  metadata: MetadataSchema.optional(),
});
export type Waiter = z.output<typeof WaiterSchema>;

export const LockDescribeResultSchema = z.strictObject({
  name: NameSchema,
  /** 'none': the name has no holder, no waiter and no lock-delay (limit and generation are 0). */
  kind: z.enum(NAME_KINDS),
  limit: z.int().min(0).max(LIMITS.maxSemaphoreLimit),
  generation: GenerationSchema,
  /** In grant order (oldest first). */
  holders: z.array(HolderSchema).max(LIMITS.maxSemaphoreLimit),
  /** In FIFO order: the first one is granted next. */
  waiters: z.array(WaiterSchema).max(LIMITS.maxWaitersPerName),
  lockDelayRemainingMs: z.int().min(0).max(LIMITS.maxLockDelayMs),
});
export type LockDescribeResult = z.output<typeof LockDescribeResultSchema>;

/** Chubby's CheckSequencer: is `token` a current hold of `name`? */
export const LockFenceCheckRequestSchema = z.strictObject({
  ...requestFields('lock.fenceCheck'),
  name: NameSchema,
  token: TokenSchema,
});
export type LockFenceCheckRequest = z.output<typeof LockFenceCheckRequestSchema>;

export const LockFenceCheckResultSchema = z.strictObject({
  current: z.boolean(),
  /** The newest token granted on this name, or null when it was never granted. */
  newestToken: TokenSchema.nullable(),
});
export type LockFenceCheckResult = z.output<typeof LockFenceCheckResultSchema>;
