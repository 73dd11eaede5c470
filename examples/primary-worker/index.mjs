/**
 * primary-worker: three workers campaign for `workers/primary`; the leader does the work. After
 * it has done a few jobs the example kills it (SIGKILL: no goodbye) and watches, through
 * `client.observe`, another worker take over once the dead one's session expires.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BatonClient } from '@baton/sdk';
import { check, Inbox, runExample, say } from '../_shared/story.mjs';

const ELECTION = 'workers/primary';
const WORKERS = ['worker-a', 'worker-b', 'worker-c'];
/** Jobs the first leader does before it is killed. */
const JOBS_BEFORE_KILL = 3;
const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

await runExample('primary-worker', async (cluster) => {
  const client = await BatonClient.connect({ endpoints: cluster.endpoints });
  const stopObserving = new AbortController();
  const workers = new Map();
  try {
    // every leadership change, as `baton observe workers/primary` would print it
    const changes = new Inbox();
    const observing = (async () => {
      for await (const change of client.observe(ELECTION, { signal: stopObserving.signal })) {
        const leader = change.leader;
        say(leader === null ? '  [observe] no leader' : `  [observe] leader: ${leader.value} (term ${leader.term})`);
        changes.push(change);
      }
    })();
    await changes.next(() => true, 'the first observed state');

    say(`\nStarting ${WORKERS.join(', ')}; each campaigns for ${ELECTION}.`);
    const output = new Inbox();
    for (const name of WORKERS) workers.set(name, startWorker(name, cluster.endpoints, output));

    const first = (await changes.next((c) => c.leader !== null, 'a first leader')).leader;
    await output.next(
      (l) => l === `${first.value}: job ${JOBS_BEFORE_KILL} done (term ${first.term})`,
      'jobs by the leader',
    );
    check(
      output.items.every((l) => !/job \d+ done/.test(l) || l.startsWith(`${first.value}:`)),
      `only the leader, ${first.value}, did jobs`,
    );

    say(`\nKilling ${first.value} (SIGKILL): no resign, no goodbye. Its session expires after its TTL.`);
    const killedAt = output.items.length;
    const victim = workers.get(first.value);
    victim.child.kill('SIGKILL');
    await victim.exited;

    const next = (
      await changes.next((c) => c.leader !== null && c.leader.value !== first.value, 'another worker to take over')
    ).leader;
    await output.next((l) => l.startsWith(`${next.value}: job 1 done`), 'the new leader to work', { from: killedAt });
    check(next.value !== first.value, `${next.value} took over from ${first.value}`);
    check(
      next.term > first.term,
      `its term (${next.term}) is higher than the old one (${first.term}): a newer fencing token`,
    );
    check(
      output.items.slice(killedAt).every((l) => !/job \d+ done/.test(l) || l.startsWith(`${next.value}:`)),
      `after the takeover only ${next.value} did jobs`,
    );

    // standbys first (they just stop campaigning), then the leader (it resigns: no leader is left)
    const rest = [...workers.entries()].filter(([name]) => name !== first.value);
    rest.sort(([a], [b]) => (a === next.value ? 1 : 0) - (b === next.value ? 1 : 0));
    say(`\nStopping ${rest.map(([name]) => name).join(', then ')} (SIGTERM).`);
    const codes = [];
    for (const [, w] of rest) {
      w.child.kill('SIGTERM');
      codes.push(await w.exited);
    }
    check(
      codes.every((c) => c === 0),
      'the remaining workers stopped cleanly (exit 0)',
    );
    await changes.next((c) => c.leader === null, 'no leader after they resigned', { from: changes.items.length - 1 });
    stopObserving.abort();
    await observing;
  } finally {
    for (const w of workers.values()) w.child.kill('SIGKILL');
    await client.close();
  }
});

function startWorker(name, endpoints, output) {
  const child = spawn(process.execPath, [WORKER, name], {
    env: { ...process.env, BATON_ENDPOINTS: endpoints.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    say(`  ${line}`);
    output.push(line);
  });
  const exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  return { child, exited };
}
