/**
 * Membership administration on a real cluster: bad inputs get typed errors and change nothing;
 * a removed member does not disturb the cluster and can be added back (fresh data directory,
 * `--initial-cluster-state existing`); leadership moves to a named member.
 */
import { type BatonClient, type BatonErrorCode, isBatonError } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { waitFor } from '../cluster/harness.js';
import { MembersCluster } from './harness.js';

const HOOK_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;

let cluster: MembersCluster;
let admin: BatonClient;

beforeAll(async () => {
  cluster = await MembersCluster.start(['n1', 'n2', 'n3']);
  admin = await cluster.client();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await admin?.close();
  await cluster?.stop();
}, HOOK_TIMEOUT_MS);

async function codeOf(work: Promise<unknown>): Promise<BatonErrorCode | 'OK'> {
  try {
    await work;
    return 'OK';
  } catch (err) {
    if (isBatonError(err)) return err.code;
    throw err;
  }
}

/** The membership as the leader sees it, without the fields that move on their own. */
async function membership(): Promise<{ members: string[]; commitIndex: number }> {
  const list = await admin.members();
  return { members: list.members.map((m) => `${m.id}:${m.role}:${m.peerUrl}`).sort(), commitIndex: list.commitIndex };
}

async function followers(): Promise<string[]> {
  const leader = (await cluster.waitForLeader()).name;
  return ['n1', 'n2', 'n3'].filter((n) => n !== leader);
}

describe('bad inputs', { timeout: TEST_TIMEOUT_MS }, () => {
  it('give typed errors and change nothing', async () => {
    const before = await membership();
    const n2 = cluster.node('n2');
    const cases: [string, () => Promise<unknown>, BatonErrorCode][] = [
      ['promote an unknown id', () => admin.promoteMember('n9'), 'NOT_FOUND'],
      ['remove an unknown id', () => admin.removeMember('n9'), 'NOT_FOUND'],
      ['transfer to an unknown id', () => admin.transferLeadership('n9'), 'NOT_FOUND'],
      ['add an existing member', () => admin.addMember('n2', 'http://127.0.0.1:1'), 'ALREADY_EXISTS'],
      ['add a new name on a used peer URL', () => admin.addMember('n7', n2.peerUrl), 'ALREADY_EXISTS'],
      ['promote a voter', () => admin.promoteMember('n2'), 'ALREADY_EXISTS'],
      ['an invalid name', () => admin.addMember('n 7', 'http://127.0.0.1:1'), 'INVALID_ARGUMENT'],
      ['a peer URL with a path', () => admin.addMember('n7', 'http://127.0.0.1:1/x'), 'INVALID_ARGUMENT'],
    ];
    for (const [what, work, code] of cases) expect(await codeOf(work()), what).toBe(code);
    expect(await membership(), 'nothing changed').toEqual(before);
  });

  it('a learner that is not caught up is neither promoted nor given leadership', async () => {
    // n6 is added but never started: it cannot catch up
    const learner = await admin.addMember('n6', 'http://127.0.0.1:9', { voter: false });
    expect(learner.role).toBe('learner');
    const with6 = await membership();
    // the same add again (a lost answer, sent again) is done already; another address is not
    expect(await admin.addMember('n6', 'http://127.0.0.1:9', { voter: false })).toMatchObject({ role: 'learner' });
    expect(await codeOf(admin.addMember('n6', 'http://127.0.0.1:10', { voter: false }))).toBe('ALREADY_EXISTS');
    expect(await membership()).toEqual(with6);
    expect(await codeOf(admin.promoteMember('n6', { timeoutMs: 300 }))).toBe('FAILED_PRECONDITION');
    expect(await codeOf(admin.transferLeadership('n6'))).toBe('FAILED_PRECONDITION');
    expect(await membership()).toEqual(with6);
    await admin.removeMember('n6');
    expect((await membership()).members.some((m) => m.startsWith('n6:'))).toBe(false);
  });

  it('a removal that would leave fewer reachable voters than a quorum is refused', async () => {
    const [stopped, other] = await followers();
    const frozen = cluster.node(stopped as string).proc.proc;
    frozen?.kill('SIGSTOP');
    try {
      await waitFor(`the leader to see ${stopped} unreachable`, async () => {
        const m = (await admin.members()).members.find((x) => x.id === stopped);
        return m?.reachable === false ? true : null;
      });
      const before = await membership();
      expect(await codeOf(admin.removeMember(other as string))).toBe('FAILED_PRECONDITION');
      expect(await membership()).toEqual(before);
    } finally {
      frozen?.kill('SIGCONT');
    }
  });
});

describe('the last voter', { timeout: TEST_TIMEOUT_MS }, () => {
  it('cannot be removed', async () => {
    const solo = await MembersCluster.start(['s1']);
    try {
      const c = await solo.client();
      try {
        expect(await codeOf(c.removeMember('s1'))).toBe('FAILED_PRECONDITION');
        expect((await c.members()).members.map((m) => [m.id, m.role])).toEqual([['s1', 'voter']]);
        expect(await c.transferLeadership('s1')).toMatchObject({ leaderId: 's1' });
      } finally {
        await c.close();
      }
    } finally {
      await solo.stop();
    }
  });
});

describe('remove and add back, then lead', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a removed member stays quiet; wiped and added back it catches up; leadership moves to it', async () => {
    const session = await admin.session({ ttlMs: 60_000 });
    const lock = await session.acquire('members/kept');
    const [gone] = await followers();
    const name = gone as string;

    await admin.removeMember(name);
    const after = await admin.members();
    expect(after.members.map((m) => m.id)).not.toContain(name);
    const termAfterRemoval = after.term;
    // the removed node is still running: more writes go through without it
    const lock2 = await session.acquire('members/while-removed');
    await lock2.release();

    // an operator wipes it and starts it again as a new node, then adds it
    await cluster.node(name).proc.kill('SIGTERM');
    cluster.wipe(name);
    cluster.restartJoining(name, ['n1', 'n2', 'n3']);
    const added = await admin.addMember(name, cluster.node(name).peerUrl, { catchUpTimeoutMs: 30_000 });
    expect(added).toMatchObject({ id: name, role: 'voter' });

    // it holds the state: a client that talks to it alone reads the lock taken before
    const only = await cluster.client([name]);
    try {
      const described = await only.describe('members/kept');
      expect(described.holders.map((h) => h.token)).toEqual([lock.token]);
    } finally {
      await only.close();
    }

    // no election happened since the removal (the removed node never disturbed the others)
    expect((await admin.members()).term).toBe(termAfterRemoval);

    expect(await admin.transferLeadership(name)).toMatchObject({ leaderId: name });
    expect((await cluster.waitForLeader()).name).toBe(name);
    const list = await admin.members();
    expect(list.leaderId).toBe(name);
    expect(list.members.filter((m) => m.role === 'voter')).toHaveLength(3);
    await lock.release();
    await session.close();
  });
});

describe('the baton CLI', { timeout: TEST_TIMEOUT_MS }, () => {
  it('lists, adds and removes members and transfers leadership; errors map to exit codes', async () => {
    const endpoints = cluster.endpoints(['n1', 'n2', 'n3']);
    const added = await runCli(['members', 'add', 'n8', 'http://127.0.0.1:9', '--learner', '--json'], endpoints);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'n8', role: 'learner' });
    const table = await runCli(['members', 'list'], endpoints);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/MEMBER +ROLE/);
    for (const n of ['n1', 'n2', 'n3']) expect(table.stdout).toMatch(new RegExp(`${n} +voter`));
    expect(table.stdout).toMatch(/n8 +learner/);
    const removed = await runCli(['members', 'remove', 'n8'], endpoints);
    expect(removed.code, removed.stderr).toBe(0);

    const [target] = await followers();
    const moved = await runCli(['leader', 'transfer', target as string], endpoints);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`leader is now ${target}`);

    const unknown = await runCli(['members', 'remove', 'n9'], endpoints);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND');
    const usage = await runCli(['members', 'promote'], endpoints);
    expect(usage.code).toBe(2);
  });
});
