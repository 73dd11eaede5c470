/**
 * The one table of what each client request needs (DESIGN §7: bearer tokens with per-prefix
 * permissions, in the manner of etcd's RBAC on key ranges).
 *
 * - `read`: look at a name (describe, fenceCheck, election leader/observe) and at the cluster (status).
 * - `lock`: acquire, cancel and release locks and semaphores (a semaphore is a lock with a limit).
 * - `elect`: campaign, proclaim and resign in elections.
 * - `admin`: every `admin.*` request (membership, leader transfer, snapshots); cluster-wide.
 * - `session`: any valid token (sessions belong to no name).
 *
 * A grant is a permission on a name prefix (`jobs/` covers `jobs/nightly`; `""` covers every
 * name). Implications, so that a token file says what a client does rather than every call it
 * makes: `lock` and `elect` include `read` on the same prefix (a contender may look at what it
 * contends for), and `admin` includes everything everywhere (an operator's token).
 */
import type { ClientRequest, RequestType } from '@baton/proto-schemas';

export const PERMISSIONS = ['read', 'lock', 'elect', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What a request needs: `hello` authenticates (nothing to check yet), `session` any valid token. */
export type Requirement = 'hello' | 'session' | Permission;

/** `admin.*` requests are not listed: every one of them needs `admin` (requirementOf). */
type ListedRequestType = Exclude<RequestType, `admin.${string}`>;

export const REQUEST_REQUIREMENTS = Object.freeze({
  hello: 'hello',
  'session.open': 'session',
  'session.keepalive': 'session',
  'session.close': 'session',
  'lock.acquire': 'lock',
  // names no lock: it cancels this connection's own wait, which needed `lock` when it began
  'lock.cancel': 'lock',
  'lock.release': 'lock',
  'lock.describe': 'read',
  'lock.fenceCheck': 'read',
  'election.campaign': 'elect',
  'election.proclaim': 'elect',
  'election.resign': 'elect',
  'election.leader': 'read',
  'election.observe': 'read',
  // only stops an observe this connection started (which needed `read`)
  'election.unobserve': 'session',
  status: 'read',
} as const satisfies Record<ListedRequestType, Requirement>);

export function requirementOf(type: string): Requirement {
  if (type.startsWith('admin.')) return 'admin';
  if (Object.hasOwn(REQUEST_REQUIREMENTS, type)) return REQUEST_REQUIREMENTS[type as ListedRequestType];
  // a request type this table does not know yet: only an operator may use it (fail closed)
  return 'admin';
}

/** One grant of a token: permissions on every name that starts with `prefix`. */
export interface Grant {
  readonly prefix: string;
  readonly permissions: ReadonlySet<Permission>;
}

/** Who a token speaks for: the `name` that limits and logs use, and what it may do. */
export interface Identity {
  readonly name: string;
  readonly grants: readonly Grant[];
  /** Any grant carries `admin` (only allowed on the prefix ""). */
  readonly admin: boolean;
}

/** The lock or election name a request is about, or null for requests about no name (status, cancel). */
export function requestName(request: ClientRequest): string | null {
  const name = (request as { name?: unknown }).name;
  return typeof name === 'string' ? name : null;
}

function grantCovers(grant: Grant, permission: Permission): boolean {
  if (grant.permissions.has(permission)) return true;
  return permission === 'read' && (grant.permissions.has('lock') || grant.permissions.has('elect'));
}

/**
 * Whether `identity` may make a request needing `requirement` about `name`. A name-less request
 * (status, lock.cancel) needs the permission on some prefix.
 */
export function isAllowed(identity: Identity, requirement: Requirement, name: string | null): boolean {
  if (requirement === 'hello' || requirement === 'session') return true;
  if (identity.admin) return true;
  if (requirement === 'admin') return false;
  return identity.grants.some((g) => grantCovers(g, requirement) && (name === null || name.startsWith(g.prefix)));
}
