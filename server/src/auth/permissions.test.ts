import { REQUEST_TYPES, type RequestType } from '@baton/proto-schemas';
import { describe, expect, it } from 'vitest';
import {
  type Identity,
  isAllowed,
  PERMISSIONS,
  type Permission,
  REQUEST_REQUIREMENTS,
  requirementOf,
} from './permissions.js';

type Need = 'any token' | 'read' | 'lock' | 'elect' | 'admin';

/** The mapping, written out independently of the table under test (admin.* below). */
const SPEC: Record<Exclude<RequestType, `admin.${string}`>, Need> = {
  hello: 'any token',
  'session.open': 'any token',
  'session.keepalive': 'any token',
  'session.close': 'any token',
  'lock.acquire': 'lock',
  'lock.cancel': 'lock',
  'lock.release': 'lock',
  'lock.describe': 'read',
  'lock.fenceCheck': 'read',
  'election.campaign': 'elect',
  'election.proclaim': 'elect',
  'election.resign': 'elect',
  'election.leader': 'read',
  'election.observe': 'read',
  'election.unobserve': 'any token',
  status: 'read',
};

/** Every `admin.*` type (added with membership and snapshots) needs admin. */
function specOf(type: RequestType): Need {
  return type.startsWith('admin.') ? 'admin' : SPEC[type as keyof typeof SPEC];
}

const NAMELESS: ReadonlySet<string> = new Set([
  'hello',
  'session.open',
  'session.keepalive',
  'session.close',
  'lock.cancel',
  'election.unobserve',
  'status',
]);

function identity(prefix: string, permissions: Permission[]): Identity {
  const grants = [{ prefix, permissions: new Set(permissions) }];
  return { name: 'who', grants, admin: permissions.includes('admin') };
}

/** What a single grant of `permission` allows for a request needing `need`. */
function expected(need: Need, permission: Permission, nameInside: boolean): boolean {
  if (need === 'any token') return true;
  if (permission === 'admin') return true;
  if (need === 'admin') return false;
  if (!nameInside) return false;
  if (permission === need) return true;
  return need === 'read' && (permission === 'lock' || permission === 'elect');
}

describe('the permission table', () => {
  it('lists every request type of the protocol, as the issue maps them', () => {
    for (const type of REQUEST_TYPES) {
      const actual = requirementOf(type);
      expect(actual === 'hello' || actual === 'session' ? 'any token' : actual, type).toBe(specOf(type));
    }
    const listed = REQUEST_TYPES.filter((t) => !t.startsWith('admin.'));
    expect(Object.keys(REQUEST_REQUIREMENTS).sort()).toEqual([...listed].sort());
  });

  it('needs admin for every admin.* type, listed or not, and for types it does not know', () => {
    for (const type of ['admin.members.list', 'admin.members.add', 'admin.leader.transfer', 'admin.snapshot.save']) {
      expect(requirementOf(type)).toBe('admin');
    }
    expect(requirementOf('lock.somethingNew')).toBe('admin');
  });

  // request types × permissions × (name inside the granted prefix, outside it)
  const cases: [RequestType, Permission, boolean][] = [];
  for (const type of REQUEST_TYPES) {
    for (const permission of PERMISSIONS) {
      for (const inside of [true, false]) cases.push([type, permission, inside]);
    }
  }
  it.each(cases)('%s with %s granted (name inside the prefix: %s)', (type, permission, inside) => {
    // admin is only ever granted on "" (the token file refuses anything else)
    const who = identity(permission === 'admin' ? '' : 'team/', [permission]);
    const name = NAMELESS.has(type) || type.startsWith('admin.') ? null : inside ? 'team/job' : 'other/job';
    // a name-less request is "inside" when the permission is held on some prefix
    const want = expected(specOf(type), permission, name === null ? true : inside);
    expect(isAllowed(who, requirementOf(type), name)).toBe(want);
  });

  it('checks the prefix as a byte-exact string prefix, not a path', () => {
    const who = identity('team', ['lock']);
    expect(isAllowed(who, 'lock', 'team')).toBe(true);
    expect(isAllowed(who, 'lock', 'teammate/x')).toBe(true);
    expect(isAllowed(who, 'lock', 'Team/x')).toBe(false);
    const slash = identity('team/', ['lock']);
    expect(isAllowed(slash, 'lock', 'team')).toBe(false);
    expect(isAllowed(slash, 'lock', 'team/')).toBe(true);
  });

  it('combines grants: each prefix gives only its own permissions', () => {
    const who: Identity = {
      name: 'mixed',
      admin: false,
      grants: [
        { prefix: 'jobs/', permissions: new Set<Permission>(['lock']) },
        { prefix: 'workers/', permissions: new Set<Permission>(['elect']) },
        { prefix: '', permissions: new Set<Permission>(['read']) },
      ],
    };
    expect(isAllowed(who, 'lock', 'jobs/a')).toBe(true);
    expect(isAllowed(who, 'lock', 'workers/a')).toBe(false);
    expect(isAllowed(who, 'elect', 'workers/a')).toBe(true);
    expect(isAllowed(who, 'elect', 'jobs/a')).toBe(false);
    expect(isAllowed(who, 'read', 'anything')).toBe(true);
    expect(isAllowed(who, 'admin', null)).toBe(false);
  });

  it('an identity without grants may only hello and use sessions', () => {
    const nobody: Identity = { name: 'nobody', admin: false, grants: [] };
    for (const type of REQUEST_TYPES) {
      expect(isAllowed(nobody, requirementOf(type), 'x'), type).toBe(specOf(type) === 'any token');
    }
  });
});
