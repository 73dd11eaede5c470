/**
 * Sessions bound to the token that opened them, on a real three-node cluster with auth on: a
 * second token that knows the session id is refused PERMISSION_DENIED for every request that
 * names the session (keepalive and resume on another connection, close, acquire, release,
 * campaign, proclaim, resign) and changes nothing; the owner resumes it from a new connection; an
 * admin token may act on it. With auth off, any connection may resume any session, as before.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, HOST } from '../cluster/harness.js';
import { RawClient } from './raw-client.js';
import { SecureNode, startSingleNode, waitForLeader } from './secure-node.js';

const HOOK_TIMEOUT_MS = 90_000;
const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef0';
const OPS = 'ops-token-0123456789abcdef00';

let dir: string;
let nodes: SecureNode[] = [];
const open: RawClient[] = [];

async function distinctPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  return ports;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-binding-'));
  const tokens = join(dir, 'tokens.json');
  const both = { '': ['lock', 'elect'] };
  writeFileSync(
    tokens,
    JSON.stringify({
      tokens: [
        { name: 'alice', token: ALICE, permissions: both },
        { name: 'bob', token: BOB, permissions: both },
        { name: 'ops', token: OPS, permissions: { '': ['admin'] } },
      ],
    }),
  );
  const names = ['n1', 'n2', 'n3'];
  const ports = await distinctPorts(3);
  const peers = names.map((n, i) => `${n}=http://${HOST}:${ports[i]}`).join(',');
  nodes = names.map(
    (name, i) =>
      new SecureNode(
        name,
        ports[i] as number,
        [
          ...['--id', name, '--data-dir', join(dir, name), '--listen', `${HOST}:${ports[i]}`],
          ...['--peers', peers, '--auth-tokens', tokens],
        ],
        null,
      ),
  );
  for (const n of nodes) n.start();
  await waitForLeader(nodes, 60_000);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const c of open.splice(0)) c.close();
  await Promise.all(nodes.map((n) => n.kill()));
  rmSync(dir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

async function client(node: SecureNode, token: string | undefined): Promise<RawClient> {
  const c = await RawClient.hello(node.clientUrl, token);
  open.push(c);
  return c;
}

describe('sessions bound to their token', () => {
  it('another token is refused on every request naming the session; the owner and an admin are not', async () => {
    const leader = await waitForLeader(nodes);
    const alice = await client(leader, ALICE);
    const opened = await alice.request('session.open', { ttlMs: 30_000 });
    expect(opened.ok, JSON.stringify(opened)).toBe(true);
    const sessionId = String(opened.result?.sessionId);
    const held = await alice.request('lock.acquire', { sessionId, name: 'jobs/held', wait: false });
    const led = await alice.request('election.campaign', { sessionId, name: 'jobs/led', value: 'alice' });
    expect(held.result?.acquired).toBe(true);
    const token = held.result?.token as number;
    const term = led.result?.term as number;

    const bob = await client(leader, BOB);
    const attempts: [string, Record<string, unknown>][] = [
      ['session.keepalive', { sessionId }],
      ['lock.acquire', { sessionId, name: 'jobs/new', wait: true, timeoutMs: 5_000 }],
      ['lock.release', { sessionId, name: 'jobs/held', token }],
      ['election.campaign', { sessionId, name: 'jobs/other', value: 'bob' }],
      ['election.proclaim', { sessionId, name: 'jobs/led', term, value: 'bob' }],
      ['election.resign', { sessionId, name: 'jobs/led', term }],
      ['session.close', { sessionId }],
    ];
    for (const [type, fields] of attempts) {
      const a = await bob.request(type, fields);
      expect(a.error?.code, `${type}: ${JSON.stringify(a)}`).toBe('PERMISSION_DENIED');
    }
    // nothing changed: alice still holds and leads, no waiter was queued, the session lives
    const describe = await alice.request('lock.describe', { name: 'jobs/held' });
    expect(describe.result?.holders).toMatchObject([{ sessionId, token }]);
    expect((await alice.request('lock.describe', { name: 'jobs/new' })).result?.waiters).toEqual([]);
    expect((await alice.request('election.leader', { name: 'jobs/led' })).result?.leader).toMatchObject({
      sessionId,
      value: 'alice',
    });

    // bob cannot resume it on another node either (a follower refuses from its own replica, or
    // sends him to the leader, which refuses)
    const follower = nodes.find((n) => n !== leader) as SecureNode;
    const bobElsewhere = await client(follower, BOB);
    const elsewhere = await bobElsewhere.request('session.keepalive', { sessionId });
    expect(['PERMISSION_DENIED', 'NOT_LEADER']).toContain(elsewhere.error?.code);

    // the owner resumes it from a new connection (a reconnect), and an operator may end it
    const aliceAgain = await client(leader, ALICE);
    const resumed = await aliceAgain.request('session.keepalive', { sessionId });
    expect(resumed.ok, JSON.stringify(resumed)).toBe(true);
    const ops = await client(leader, OPS);
    expect((await ops.request('session.keepalive', { sessionId })).ok).toBe(true);
    expect((await ops.request('session.close', { sessionId })).ok).toBe(true);
    expect((await aliceAgain.request('session.keepalive', { sessionId })).error?.code).toBe('SESSION_EXPIRED');
  });

  it('the binding survives a leader change (it is replicated state, not the old leader memory)', async () => {
    const leader = await waitForLeader(nodes);
    const alice = await client(leader, ALICE);
    const opened = await alice.request('session.open', { ttlMs: 30_000 });
    const sessionId = String(opened.result?.sessionId);
    const ops = await client(leader, OPS);
    const next = nodes.find((n) => n !== leader) as SecureNode;
    const moved = await ops.request('admin.leader.transfer', { memberId: next.name });
    expect(moved.ok, JSON.stringify(moved)).toBe(true);
    await waitForLeader(nodes);
    const bob = await client(next, BOB);
    expect((await bob.request('session.keepalive', { sessionId })).error?.code).toBe('PERMISSION_DENIED');
    expect((await bob.request('session.close', { sessionId })).error?.code).toBe('PERMISSION_DENIED');
    const aliceThere = await client(next, ALICE);
    expect((await aliceThere.request('session.close', { sessionId })).ok).toBe(true);
  });
});

describe('auth off', () => {
  it('any connection may resume and close any session, as before', async () => {
    const node = await startSingleNode(join(dir, 'off'), []);
    try {
      const a = await client(node, undefined);
      const sessionId = String((await a.request('session.open', { ttlMs: 30_000 })).result?.sessionId);
      const b = await client(node, undefined);
      expect((await b.request('session.keepalive', { sessionId })).ok).toBe(true);
      expect((await b.request('lock.acquire', { sessionId, name: 'x', wait: false })).result?.acquired).toBe(true);
      expect((await b.request('session.close', { sessionId })).ok).toBe(true);
    } finally {
      await node.kill();
    }
  });
});
