/**
 * `baton elect`, `observe`, `describe` and `status` on a real 3-node cluster: elect runs the
 * command as leader and resigns on exit, observe prints one JSON line per change (null leader
 * included), describe and status print tables and parseable JSON.
 */
import { BatonClient, type StatusResult } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, waitFor } from '../cluster/harness.js';
import { type CliProcess, runCli, startCli } from './run-cli.js';

const CLUSTER_HOOK_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 60_000;

let cluster: TestCluster;
let endpoints: string[];
let client: BatonClient;
const running: CliProcess[] = [];

beforeAll(async () => {
  cluster = await TestCluster.start(3);
  endpoints = cluster.nodes.map((n) => `ws://127.0.0.1:${n.port}`);
  client = await BatonClient.connect({ endpoints });
}, CLUSTER_HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const cli of running) cli.proc.kill('SIGKILL');
  await client?.close();
  await cluster?.stop();
}, CLUSTER_HOOK_TIMEOUT_MS);

function start(args: readonly string[]): CliProcess {
  const cli = startCli(args, endpoints);
  running.push(cli);
  return cli;
}

describe('baton elect', { timeout: TEST_TIMEOUT_MS }, () => {
  it('runs the command as leader with the term in its environment and resigns when it exits', async () => {
    // a long TTL: leadership can only be gone right after the exit if the CLI resigned
    const cli = start([
      'elect',
      'cli/elect-cmd',
      'worker-a',
      '--ttl',
      '60s',
      '--',
      'sh',
      '-c',
      'echo "$BATON_ELECTION_NAME $BATON_ELECTION_VALUE $BATON_LEADER_TERM $BATON_FENCING_TOKEN"; read go; exit 4',
    ]);
    const line = await cli.line((l) => l.startsWith('cli/elect-cmd '), 'the command to start');
    const [, value, term, token] = line.split(' ');
    expect(value).toBe('worker-a');
    expect(token).toBe(term);
    expect(await client.leader('cli/elect-cmd')).toMatchObject({ value: 'worker-a', term: Number(term) });

    cli.proc.stdin?.end('\n');
    const exit = await cli.exit();
    expect(exit.code, exit.stderr).toBe(4);
    expect(await client.leader('cli/elect-cmd')).toBeNull();
  });

  it('without a command, holds leadership until SIGINT, then resigns and exits 0', async () => {
    const cli = start(['elect', 'cli/elect-hold', 'b', '--json', '--ttl', '60s']);
    const line = await cli.line((l) => l.startsWith('{'), 'the leadership line');
    const announced = JSON.parse(line) as { name: string; leader: { value: string; term: number } };
    expect(announced).toMatchObject({ name: 'cli/elect-hold', leader: { value: 'b' } });
    expect(await client.leader('cli/elect-hold')).toMatchObject({ value: 'b', term: announced.leader.term });

    cli.kill('SIGINT');
    const exit = await cli.exit();
    expect(exit.code, exit.stderr).toBe(0);
    expect(await client.leader('cli/elect-hold')).toBeNull();
  });

  it('campaigns behind the current leader and leads once it resigns', async () => {
    const session = await client.session();
    const lead = await session.campaign('cli/elect-queue', 'first');
    const cli = start(['elect', 'cli/elect-queue', 'second', '--json']);
    await waitForWaiters('cli/elect-queue', 1);
    expect(cli.stdout).toBe('');
    await lead.resign();
    const line = await cli.line((l) => l.startsWith('{'), 'the leadership line');
    expect(JSON.parse(line)).toMatchObject({ leader: { value: 'second' } });
    expect((JSON.parse(line) as { leader: { term: number } }).leader.term).toBeGreaterThan(lead.term);
    cli.kill('SIGTERM');
    expect((await cli.exit()).code).toBe(0);
    await session.close();
  });
});

describe('baton observe', { timeout: TEST_TIMEOUT_MS }, () => {
  it('prints one JSON line per leadership change, no leader included, until SIGINT', async () => {
    const cli = start(['observe', 'cli/observed']);
    const parse = (l: string) => JSON.parse(l) as { name: string; leader: { value: string; term: number } | null };
    expect(parse(await cli.line((l) => l.startsWith('{'), 'the first state'))).toEqual({
      name: 'cli/observed',
      leader: null,
    });

    const session = await client.session();
    const lead = await session.campaign('cli/observed', 'worker-x');
    const led = parse(await cli.line((l) => parse(l).leader !== null, 'the new leader', 1));
    expect(led).toEqual({
      name: 'cli/observed',
      leader: { sessionId: session.id, value: 'worker-x', term: lead.term },
    });

    await lead.resign();
    expect(parse(await cli.line((l) => parse(l).leader === null, 'no leader again', 2))).toEqual({
      name: 'cli/observed',
      leader: null,
    });
    cli.kill('SIGINT');
    const exit = await cli.exit();
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout.trim().split('\n')).toHaveLength(3);
    await session.close();
  });
});

describe('baton describe and status', { timeout: TEST_TIMEOUT_MS }, () => {
  it('describe prints holders and waiters as a table, and the same as JSON with --json', async () => {
    const holder = await client.session();
    const waiter = await client.session();
    const lock = await holder.acquire('cli/described', { metadata: { owner: 'describe-test', pid: 77 } });
    const waiting = waiter.acquire('cli/described');
    await waitForWaiters('cli/described', 1);

    const json = await runCli(['describe', 'cli/described', '--json'], endpoints);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: 'cli/described',
      kind: 'lock',
      limit: 1,
      holders: [{ sessionId: holder.id, token: lock.token, metadata: { owner: 'describe-test', pid: 77 } }],
      waiters: [{ sessionId: waiter.id }],
    });

    const table = await runCli(['describe', 'cli/described'], endpoints);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`\\n  ${lock.token} +${lock.generation} +${holder.id} +\\S+ +describe-test · pid 77\\n`),
    );
    expect(table.stdout).toContain('waiters (1, first is next)');

    await lock.release();
    await (await waiting).release();
    await holder.close();
    await waiter.close();
  });

  it('status prints the members and the leader, and parseable JSON with --json', async () => {
    const json = await runCli(['status', '--json'], endpoints);
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as StatusResult;
    expect(status.members.map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(status.leaderId).not.toBeNull();

    const table = await runCli(['status'], endpoints);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('members (3):');
    expect(table.stdout).toMatch(new RegExp(`${status.leaderId} +voter +ws://\\S+ +leader`));
  });
});

/** Waits (bounded) until `name` has `count` waiters (or candidates). */
async function waitForWaiters(name: string, count: number): Promise<void> {
  await waitFor(`${count} waiters on ${name}`, async () =>
    (await client.describe(name)).waiters.length === count ? true : null,
  );
}
