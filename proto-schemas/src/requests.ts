/**
 * Every client request, as one union discriminated on `type`, and what each one answers. The
 * tables below are the single list of request types: the union, the mutating set and the result
 * lookup are all derived from them.
 */
import { z } from 'zod';
import {
  AdminLeaderTransferRequestSchema,
  AdminLeaderTransferResultSchema,
  AdminMemberResultSchema,
  AdminMembersAddRequestSchema,
  AdminMembersListRequestSchema,
  AdminMembersListResultSchema,
  AdminMembersPromoteRequestSchema,
  AdminMembersRemoveRequestSchema,
  AdminSnapshotChunkRequestSchema,
  AdminSnapshotChunkResultSchema,
  AdminSnapshotSaveRequestSchema,
  AdminSnapshotSaveResultSchema,
} from './admin.js';
import { EmptyResultSchema } from './common.js';
import {
  ElectionCampaignRequestSchema,
  ElectionCampaignResultSchema,
  ElectionLeaderRequestSchema,
  ElectionLeaderResultSchema,
  ElectionObserveRequestSchema,
  ElectionObserveResultSchema,
  ElectionProclaimRequestSchema,
  ElectionResignRequestSchema,
  ElectionUnobserveRequestSchema,
} from './election.js';
import { HelloRequestSchema, HelloResultSchema } from './hello.js';
import {
  LockAcquireRequestSchema,
  LockAcquireResultSchema,
  LockCancelRequestSchema,
  LockCancelResultSchema,
  LockDescribeRequestSchema,
  LockDescribeResultSchema,
  LockFenceCheckRequestSchema,
  LockFenceCheckResultSchema,
  LockReleaseRequestSchema,
} from './lock.js';
import {
  SessionCloseRequestSchema,
  SessionKeepaliveRequestSchema,
  SessionKeepaliveResultSchema,
  SessionOpenRequestSchema,
  SessionOpenResultSchema,
} from './session.js';
import { StatusRequestSchema, StatusResultSchema } from './status.js';

export const REQUEST_SCHEMAS = {
  hello: HelloRequestSchema,
  'session.open': SessionOpenRequestSchema,
  'session.keepalive': SessionKeepaliveRequestSchema,
  'session.close': SessionCloseRequestSchema,
  'lock.acquire': LockAcquireRequestSchema,
  'lock.cancel': LockCancelRequestSchema,
  'lock.release': LockReleaseRequestSchema,
  'lock.describe': LockDescribeRequestSchema,
  'lock.fenceCheck': LockFenceCheckRequestSchema,
  'election.campaign': ElectionCampaignRequestSchema,
  'election.proclaim': ElectionProclaimRequestSchema,
  'election.resign': ElectionResignRequestSchema,
  'election.leader': ElectionLeaderRequestSchema,
  'election.observe': ElectionObserveRequestSchema,
  'election.unobserve': ElectionUnobserveRequestSchema,
  status: StatusRequestSchema,
  'admin.members.list': AdminMembersListRequestSchema,
  'admin.members.add': AdminMembersAddRequestSchema,
  'admin.members.promote': AdminMembersPromoteRequestSchema,
  'admin.members.remove': AdminMembersRemoveRequestSchema,
  'admin.leader.transfer': AdminLeaderTransferRequestSchema,
  'admin.snapshot.save': AdminSnapshotSaveRequestSchema,
  'admin.snapshot.chunk': AdminSnapshotChunkRequestSchema,
} as const;

export type RequestType = keyof typeof REQUEST_SCHEMAS;

export const REQUEST_TYPES = Object.freeze(Object.keys(REQUEST_SCHEMAS)) as readonly RequestType[];

export function isRequestType(value: unknown): value is RequestType {
  return typeof value === 'string' && Object.hasOwn(REQUEST_SCHEMAS, value);
}

export const RESULT_SCHEMAS = {
  hello: HelloResultSchema,
  'session.open': SessionOpenResultSchema,
  'session.keepalive': SessionKeepaliveResultSchema,
  'session.close': EmptyResultSchema,
  'lock.acquire': LockAcquireResultSchema,
  'lock.cancel': LockCancelResultSchema,
  'lock.release': EmptyResultSchema,
  'lock.describe': LockDescribeResultSchema,
  'lock.fenceCheck': LockFenceCheckResultSchema,
  'election.campaign': ElectionCampaignResultSchema,
  'election.proclaim': EmptyResultSchema,
  'election.resign': EmptyResultSchema,
  'election.leader': ElectionLeaderResultSchema,
  'election.observe': ElectionObserveResultSchema,
  'election.unobserve': EmptyResultSchema,
  status: StatusResultSchema,
  'admin.members.list': AdminMembersListResultSchema,
  'admin.members.add': AdminMemberResultSchema,
  'admin.members.promote': AdminMemberResultSchema,
  'admin.members.remove': EmptyResultSchema,
  'admin.leader.transfer': AdminLeaderTransferResultSchema,
  'admin.snapshot.save': AdminSnapshotSaveResultSchema,
  'admin.snapshot.chunk': AdminSnapshotChunkResultSchema,
} as const satisfies Record<RequestType, z.ZodType>;

export const ClientRequestSchema = z.discriminatedUnion('type', [
  HelloRequestSchema,
  SessionOpenRequestSchema,
  SessionKeepaliveRequestSchema,
  SessionCloseRequestSchema,
  LockAcquireRequestSchema,
  LockCancelRequestSchema,
  LockReleaseRequestSchema,
  LockDescribeRequestSchema,
  LockFenceCheckRequestSchema,
  ElectionCampaignRequestSchema,
  ElectionProclaimRequestSchema,
  ElectionResignRequestSchema,
  ElectionLeaderRequestSchema,
  ElectionObserveRequestSchema,
  ElectionUnobserveRequestSchema,
  StatusRequestSchema,
  AdminMembersListRequestSchema,
  AdminMembersAddRequestSchema,
  AdminMembersPromoteRequestSchema,
  AdminMembersRemoveRequestSchema,
  AdminLeaderTransferRequestSchema,
  AdminSnapshotSaveRequestSchema,
  AdminSnapshotChunkRequestSchema,
]);

/** A request as the server sees it after parsing (defaults filled in, e.g. `limit: 1`). */
export type ClientRequest = z.output<typeof ClientRequestSchema>;
/** A request as a client may write it (defaulted fields optional). */
export type ClientRequestInput = z.input<typeof ClientRequestSchema>;
export type ClientRequestOf<T extends RequestType> = Extract<ClientRequest, { type: T }>;
export type ClientRequestInputOf<T extends RequestType> = Extract<ClientRequestInput, { type: T }>;

export type ClientResultOf<T extends RequestType> = z.output<(typeof RESULT_SCHEMAS)[T]>;
/** Any request's result. */
export type ClientResult = ClientResultOf<RequestType>;

/**
 * Requests that become log entries and so carry `seq`: applied at most once per (clientId, seq).
 * Keepalives (leader memory), cancels (connection state) and reads are not among them.
 */
export const MUTATING_REQUEST_TYPES = Object.freeze([
  'session.open',
  'session.close',
  'lock.acquire',
  'lock.release',
  'election.campaign',
  'election.proclaim',
  'election.resign',
] as const satisfies readonly RequestType[]);

export type MutatingRequestType = (typeof MUTATING_REQUEST_TYPES)[number];
export type MutatingRequest = ClientRequestOf<MutatingRequestType>;

/** Cluster administration (admin.ts): token permissions map this prefix to `admin`. */
export const ADMIN_REQUEST_PREFIX = 'admin.';
export type AdminRequestType = Extract<RequestType, `admin.${string}`>;
export type AdminRequest = ClientRequestOf<AdminRequestType>;

export function isAdminRequest(request: ClientRequest): request is AdminRequest {
  return request.type.startsWith(ADMIN_REQUEST_PREFIX);
}

export function isMutatingRequest(request: ClientRequest): request is MutatingRequest {
  return (MUTATING_REQUEST_TYPES as readonly string[]).includes(request.type);
}
