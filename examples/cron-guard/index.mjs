/**
 * cron-guard: every replica runs the same schedule; only the one holding the lock runs the job.
 *
 * Three replicas (each with its own client, as if on three machines) fire at every tick and
 * call `session.withLock`. The first to get the lock writes the report; the others give up after
 * a short wait and skip the tick. Under the lock, the job first checks whether this tick's report
 * already exists, so a replica that comes late (after the first one released) does not run it
 * twice. Then the same guard from the shell: `baton lock … --try -- <job>`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BatonClient, isBatonError } from '@baton/sdk';
import { check, Inbox, runExample, say } from '../_shared/story.mjs';

const LOCK = 'cron/nightly-report';
const REPLICAS = ['replica-a', 'replica-b', 'replica-c'];
const TICKS = 3;
const TICK_MS = 1_000;
/** The job takes longer than the others wait, so they skip rather than queue behind it. */
const JOB_MS = 600;
/** Far longer than a grant takes, far shorter than the job. */
const WAIT_FOR_LOCK_MS = 300;
/** `baton` as `npx baton` runs it: the bin of @baton/sdk. */
const BATON_BIN = fileURLToPath(new URL('../bin/baton.js', import.meta.resolve('@baton/sdk')));

await runExample('cron-guard', async (cluster) => {
  const reportsDir = mkdtempSync(join(tmpdir(), 'baton-cron-guard-'));
  const replicas = await Promise.all(
    REPLICAS.map(async (name) => {
      const client = await BatonClient.connect({ endpoints: cluster.endpoints });
      const session = await client.session({ ttlMs: 5_000, label: name });
      return { name, client, session };
    }),
  );
  try {
    say(
      `\n${REPLICAS.length} replicas run the schedule "every ${TICK_MS / 1_000}s"; the lock ${LOCK} decides who runs the job.`,
    );
    const ranBy = new Map();
    const startMs = Date.now();
    for (let tick = 1; tick <= TICKS; tick++) {
      say(`tick ${tick}`);
      // every replica's scheduler fires now; their clocks differ a little, so another one is first each tick
      const order = [...replicas.slice(tick % replicas.length), ...replicas.slice(0, tick % replicas.length)];
      await Promise.all(order.map((replica) => onTick(replica, tick, reportsDir, ranBy)));
      await sleep(Math.max(0, startMs + tick * TICK_MS - Date.now()));
    }
    say();
    for (let tick = 1; tick <= TICKS; tick++) {
      check(
        ranBy.get(tick)?.length === 1,
        `tick ${tick}: the job ran exactly once (by ${ranBy.get(tick)?.join(', ')})`,
      );
    }
    check(readdirSync(reportsDir).length === TICKS, `${TICKS} reports written, one per tick`);

    await shellForm(cluster.endpoints);
  } finally {
    await Promise.all(replicas.map((r) => r.client.close()));
    rmSync(reportsDir, { recursive: true, force: true });
  }
});

/** One replica's handler for one tick. */
async function onTick({ name, session }, tick, reportsDir, ranBy) {
  const report = join(reportsDir, `report-${tick}.txt`);
  try {
    await session.withLock(
      LOCK,
      async (lock) => {
        if (existsSync(report)) {
          say(`  ${name}: got the lock (token ${lock.token}), but tick ${tick}'s report exists already: nothing to do`);
          return;
        }
        say(`  ${name}: holds ${LOCK} (token ${lock.token}) → runs the job`);
        ranBy.set(tick, [...(ranBy.get(tick) ?? []), name]);
        // the job stops if the lock is lost (lock.signal), and stamps its output with the token
        await sleep(JOB_MS, undefined, { signal: lock.signal });
        writeFileSync(report, `nightly report, tick ${tick}, by ${name}, fencing token ${lock.token}\n`);
        say(`  ${name}: report ${tick} written; releasing the lock`);
      },
      { timeoutMs: WAIT_FOR_LOCK_MS, metadata: { owner: name, pid: process.pid } },
    );
  } catch (err) {
    if (!isBatonError(err, 'TIMEOUT')) throw err;
    say(`  ${name}: ${LOCK} is busy → skips tick ${tick}`);
  }
}

/**
 * The same guard from the shell, as a crontab line would use it:
 *   baton lock cron/nightly-report --try -- ./report.sh
 * A runs the job (which waits for our go-ahead on stdin); B starts meanwhile and finds it held.
 */
async function shellForm(endpoints) {
  say(`\nThe same guard from the shell: baton lock ${LOCK} --try -- <job>`);
  const job = [
    process.execPath,
    '-e',
    'console.log("report running with BATON_FENCING_TOKEN=" + process.env.BATON_FENCING_TOKEN);' +
      'process.stdin.once("data", () => process.exit(0));',
  ];
  const a = runBaton('A', ['lock', LOCK, '--try', '--', ...job], endpoints);
  await a.lines.next((l) => l.includes('report running'), 'A to run the job');
  const b = runBaton('B', ['lock', LOCK, '--try', '--', ...job], endpoints);
  const bCode = await b.exited;
  check(bCode === 75, `B exited 75 (busy) without running the job`);
  check(!b.lines.items.some((l) => l.includes('report running')), 'B never ran the job');
  a.stdin.end('done\n');
  const aCode = await a.exited;
  check(aCode === 0, 'A ran the job, released the lock, and exited with the job’s code (0)');
}

/** Runs `baton <args>`; its output lines are printed with a prefix and kept. */
function runBaton(label, args, endpoints) {
  const shown = args.map((a) => (a === process.execPath ? 'node' : /[\s"`$]/.test(a) ? '<job>' : a));
  say(`  $ baton ${shown.join(' ')}    (${label})`);
  const child = spawn(process.execPath, [BATON_BIN, ...args], {
    env: { ...process.env, BATON_ENDPOINTS: endpoints.join(',') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines = new Inbox();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      say(`    [${label}] ${line}`);
      lines.push(line);
    });
  }
  const exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  return { lines, exited, stdin: child.stdin };
}
