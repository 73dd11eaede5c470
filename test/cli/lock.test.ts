/**
 * `baton lock` on a real 3-node cluster: the fencing token reaches the command, exit codes pass
 * through, busy and timed-out locks exit 75 without running anything, and a lock lost while the
 * command runs gets the command SIGTERMed, then SIGKILLed after the grace (exit 70).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonClient } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, waitFor } from '../cluster/harness.js';
import { type CliProcess, isAlive, runCli, startCli } from './run-cli.js';

/** Starting three processes on a loaded 2-core machine can take longer than vitest's 10 s hook default. */
const CLUSTER_HOOK_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 60_000;

let cluster: TestCluster;
let endpoints: string[];
let client: BatonClient;
let dir: string;
const running: CliProcess[] = [];

beforeAll(async () => {
  cluster = await TestCluster.start(3);
  endpoints = cluster.nodes.map((n) => `ws://127.0.0.1:${n.port}`);
  client = await BatonClient.connect({ endpoints });
  dir = mkdtempSync(join(tmpdir(), 'baton-cli-lock-'));
}, CLUSTER_HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const cli of running) {
    cli.proc.kill('SIGCONT');
    cli.proc.kill('SIGKILL');
  }
  await client?.close();
  await cluster?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, CLUSTER_HOOK_TIMEOUT_MS);

function start(args: readonly string[]): CliProcess {
  const cli = startCli(args, endpoints);
  running.push(cli);
  return cli;
}

describe('baton lock', { timeout: TEST_TIMEOUT_MS }, () => {
  it('runs the command with the fencing token in its environment, releases, and exits with its code', async () => {
    // the command prints its environment, then waits for a line on stdin (the test's go-ahead)
    const cli = start([
      'lock',
      'cli/env',
      '--',
      'sh',
      '-c',
      'echo "token=$BATON_FENCING_TOKEN name=$BATON_LOCK_NAME generation=$BATON_LOCK_GENERATION"; read go; exit 3',
    ]);
    const line = await cli.line((l) => l.startsWith('token='), 'the command to print its environment');
    const match = /^token=(\d+) name=cli\/env generation=(\d+)$/.exec(line);
    expect(match, line).not.toBeNull();
    const token = Number(match![1]);

    // the token in the environment is the one the cluster says holds the lock right now
    expect(await client.checkFence('cli/env', token)).toBe(true);
    const held = await client.describe('cli/env');
    expect(held.holders.map((h) => [h.token, h.generation, h.metadata?.owner])).toEqual([
      [token, Number(match![2]), 'baton lock'],
    ]);

    cli.proc.stdin?.end('go\n');
    const exit = await cli.exit();
    expect(exit.code, exit.stderr).toBe(3);
    // released before the CLI exited (not left to the session's expiry)
    expect((await client.describe('cli/env')).holders).toEqual([]);
    expect(await client.checkFence('cli/env', token)).toBe(false);
  });

  it('--try on a held lock exits 75 with a clear message and does not run the command', async () => {
    const marker = join(dir, 'try-ran');
    const lock = await client.acquire('cli/busy', { metadata: { owner: 'test', pid: 1234 } });
    try {
      const exit = await runCli(['lock', 'cli/busy', '--try', '--', 'sh', '-c', `touch ${marker}`], endpoints);
      expect(exit.code).toBe(75);
      expect(exit.stderr).toContain(`cli/busy is held by test pid 1234 (token ${lock.token}`);
      expect(exit.stderr).toContain('not running "sh" (--try, exit 75)');
      expect(existsSync(marker)).toBe(false);
      expect(lock.held).toBe(true);
    } finally {
      await lock.release();
    }
  });

  it('a --timeout that passes exits 75, does not run the command, and leaves no waiter behind', async () => {
    const marker = join(dir, 'timeout-ran');
    const lock = await client.acquire('cli/slow');
    try {
      const exit = await runCli(
        ['lock', 'cli/slow', '--timeout', '300ms', '--', 'sh', '-c', `touch ${marker}`],
        endpoints,
      );
      expect(exit.code).toBe(75);
      expect(exit.stderr).toContain('cli/slow is still held after 300ms; not running "sh" (exit 75)');
      expect(existsSync(marker)).toBe(false);
      await waitFor('the timed-out waiter to be gone', async () =>
        (await client.describe('cli/slow')).waiters.length === 0 ? true : null,
      );
    } finally {
      await lock.release();
    }
  });

  it('waits its turn and runs the command once the holder releases', async () => {
    const lock = await client.acquire('cli/queue');
    const cli = start([
      'lock',
      'cli/queue',
      '--timeout',
      '30s',
      '--',
      'sh',
      '-c',
      'echo "ran with $BATON_FENCING_TOKEN"',
    ]);
    await waitFor('the CLI to queue', async () =>
      (await client.describe('cli/queue')).waiters.length === 1 ? true : null,
    );
    expect(cli.stdout).toBe('');
    await lock.release();
    const exit = await cli.exit();
    expect(exit.code, exit.stderr).toBe(0);
    const token = Number(/^ran with (\d+)$/.exec(exit.stdout.trim())?.[1]);
    expect(token).toBeGreaterThan(lock.token);
  });

  it('SIGINT while waiting exits 130, runs nothing, and leaves no waiter behind', async () => {
    const marker = join(dir, 'interrupted-ran');
    const lock = await client.acquire('cli/interrupted');
    try {
      const cli = start(['lock', 'cli/interrupted', '--', 'sh', '-c', `touch ${marker}`]);
      await waitFor('the CLI to queue', async () =>
        (await client.describe('cli/interrupted')).waiters.length === 1 ? true : null,
      );
      cli.kill('SIGINT');
      const exit = await cli.exit();
      expect(exit.code).toBe(130);
      expect(exit.stderr).toContain('SIGINT while waiting for cli/interrupted; not running "sh" (exit 130)');
      expect(existsSync(marker)).toBe(false);
      await waitFor('the interrupted waiter to be gone', async () =>
        (await client.describe('cli/interrupted')).waiters.length === 0 ? true : null,
      );
    } finally {
      await lock.release();
    }
  });

  it('when the lock is lost, SIGTERMs the command, SIGKILLs it after the grace, and exits 70', async () => {
    // the command ignores SIGTERM (it only notes it), so only the SIGKILL after the grace stops it
    const terms = join(dir, 'lost-terms');
    const cli = start([
      'lock',
      'cli/lost',
      '--ttl',
      '2s',
      '--kill-grace',
      '1s',
      '--',
      'sh',
      '-c',
      `trap "echo TERM >> ${terms}" TERM; echo "pid=$$ token=$BATON_FENCING_TOKEN"; while :; do sleep 0.1; done`,
    ]);
    const line = await cli.line((l) => l.startsWith('pid='), 'the command to start');
    const [, pid, cliToken] = (/^pid=(\d+) token=(\d+)$/.exec(line) ?? []).map(Number);
    expect(isAlive(pid!)).toBe(true);

    // freeze the CLI past its TTL: the cluster expires its session and grants the lock to us
    const session = await client.session({ ttlMs: 10_000 });
    const next = session.acquire('cli/lost', { timeoutMs: 30_000 });
    await waitFor('our acquire to queue', async () =>
      (await client.describe('cli/lost')).waiters.length === 1 ? true : null,
    );
    cli.kill('SIGSTOP');
    const lock = await next;
    expect(lock.token).toBeGreaterThan(cliToken!);

    // on waking, the CLI finds its session lost and must stop the command on its own
    cli.kill('SIGCONT');
    const exit = await cli.exit();
    expect(exit.code, exit.stderr).toBe(70);
    expect(exit.stderr).toContain(`LOST the lock cli/lost (token ${cliToken})`);
    expect(exit.stderr).toContain('SIGTERM now, SIGKILL in 1s');
    expect(exit.stderr).toContain('the command was stopped because the lock cli/lost');
    expect(readFileSync(terms, 'utf8')).toContain('TERM');
    expect(isAlive(pid!)).toBe(false);
    // the new holder was never disturbed
    expect(lock.held).toBe(true);
    expect(await client.checkFence('cli/lost', lock.token)).toBe(true);
    await session.close();
  });

  it('passes SIGTERM on to the command, releases the lock, and exits with the command code', async () => {
    const cli = start([
      'lock',
      'cli/forward',
      '--',
      'sh',
      '-c',
      'trap "exit 9" TERM; echo ready; while :; do sleep 0.1; done',
    ]);
    await cli.line((l) => l === 'ready', 'the command to start');
    cli.kill('SIGTERM');
    const exit = await cli.exit();
    expect(exit.code, exit.stderr).toBe(9);
    expect((await client.describe('cli/forward')).holders).toEqual([]);
  });

  it('a semaphore (--limit) admits two commands at once', async () => {
    const first = start([
      'lock',
      'cli/pool',
      '--limit',
      '2',
      '--',
      'sh',
      '-c',
      'echo "in $BATON_FENCING_TOKEN"; read go',
    ]);
    const second = start([
      'lock',
      'cli/pool',
      '--limit',
      '2',
      '--',
      'sh',
      '-c',
      'echo "in $BATON_FENCING_TOKEN"; read go',
    ]);
    await first.line((l) => l.startsWith('in '), 'the first command');
    await second.line((l) => l.startsWith('in '), 'the second command');
    expect((await client.describe('cli/pool')).holders).toHaveLength(2);
    first.proc.stdin?.end('\n');
    second.proc.stdin?.end('\n');
    expect((await first.exit()).code).toBe(0);
    expect((await second.exit()).code).toBe(0);
  });

  it('exits 2 on bad usage and 127 when the command does not exist', async () => {
    const usage = await runCli(['lock', 'cli/usage', 'echo', 'no-dashes'], endpoints);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('put the command to run after --');
    const missing = await runCli(['lock', 'cli/missing', '--', join(dir, 'no-such-command')], endpoints);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('cannot run');
    expect((await client.describe('cli/missing')).holders).toEqual([]);
  });
});
