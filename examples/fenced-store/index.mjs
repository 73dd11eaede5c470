/**
 * fenced-store: why a lock needs a fencing token, and a store that checks it.
 *
 * Holder A takes the lock and writes. Then A is frozen (SIGSTOP — think of a long GC pause or a
 * VM migration) right after checking that it still holds the lock and before its next write. Its
 * keepalives stop; the cluster expires its session after the TTL and grants the lock to holder B,
 * which writes with a newer token. A wakes up and sends the write it had prepared, with its old
 * token: the fenced Redis store (createRedisFence from @baton/sdk) refuses it.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BatonClient, createRedisFence } from '@baton/sdk';
import { check, Inbox, runExample, say } from '../_shared/story.mjs';
import { openStore } from './store.mjs';

const LOCK = 'invoices/42';
const HOLDER = fileURLToPath(new URL('./holder.mjs', import.meta.url));

await runExample('fenced-store', async (cluster) => {
  const store = await openStore();
  // one run's keys: a real Redis may hold tokens of an earlier run against another cluster
  const prefix = `baton-example:${randomUUID()}:`;
  const key = `${prefix}invoice-42`;
  const fence = createRedisFence(store.redis, { keyPrefix: `${prefix}fence:` });
  const client = await BatonClient.connect({ endpoints: cluster.endpoints });
  let holderA = null;
  try {
    say(`\nstore: ${store.description}`);

    // 1. A takes the lock and writes v1
    const fromA = new Inbox();
    holderA = fork(HOLDER, [], {
      env: {
        ...process.env,
        BATON_ENDPOINTS: cluster.endpoints.join(','),
        LOCK,
        KEY: key,
        FENCE_PREFIX: `${prefix}fence:`,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    store.serve(holderA);
    holderA.on('message', (m) => fromA.push(m));
    const exitedA = new Promise((resolve) => holderA.once('exit', (code) => resolve(code)));

    const wrote = await fromA.next((m) => m.type === 'wrote', 'A to take the lock and write');
    say(`A holds ${LOCK} with fencing token ${wrote.token} and writes v1 → ${wrote.accepted ? 'accepted' : 'refused'}`);
    check(wrote.accepted, 'the store accepted A’s first write');

    // 2. A checks it still holds the lock… and freezes
    const checked = await fromA.next((m) => m.type === 'checked', 'A to check its lock');
    say(`A checks lock.held: ${checked.held}. A prepares v2 — and freezes (SIGSTOP), before sending it.`);
    holderA.kill('SIGSTOP');

    // 3. B waits for the lock; the cluster hands it over once A's session expires
    const session = await client.session({ ttlMs: 10_000, label: 'holder B' });
    say(`B asks for ${LOCK}; A is frozen and sends no keepalives…`);
    const lockB = await session.acquire(LOCK, { timeoutMs: 30_000, metadata: { owner: 'holder B', pid: process.pid } });
    say(`B holds ${LOCK} with fencing token ${lockB.token} (A's session expired on the cluster)`);
    check(lockB.token > wrote.token, `B's token ${lockB.token} is newer than A's ${wrote.token}`);
    const writeB = await fence.fencedSet(LOCK, lockB.token, key, `v2 by B (token ${lockB.token})`);
    say(`B writes v2 → ${writeB.accepted ? 'accepted' : 'refused'}`);
    check(writeB.accepted, 'the store accepted B’s write');

    // 4. A wakes up and sends its prepared write with the old token
    say('A wakes up (SIGCONT) and sends the write it had prepared, with its old token.');
    holderA.send({ type: 'go' });
    holderA.kill('SIGCONT');
    const late = await fromA.next((m) => m.type === 'late-write', 'A’s late write');
    say(
      `A writes with token ${late.token} → ${late.accepted ? 'ACCEPTED' : 'refused'}` +
        ` (the store has seen token ${late.highestToken})`,
    );
    say(
      `  (A's lock.signal ${late.signalFired ? `fired as it woke (${late.reason})` : 'had not fired yet'}:` +
        ' the check was already behind it — only the store can catch this)',
    );
    check(!late.accepted, 'the store refused A’s stale write');
    check(late.highestToken === lockB.token, `the store's highest token is B's (${lockB.token})`);
    const value = await store.redis.get(key);
    say(`${key.slice(prefix.length)} = ${JSON.stringify(value)}`);
    check(value === `v2 by B (token ${lockB.token})`, 'the stored value is B’s');
    check((await exitedA) === 0, 'A exited cleanly');
    holderA = null;

    await lockB.release();
    await session.close();
  } finally {
    holderA?.kill('SIGCONT');
    holderA?.kill('SIGKILL');
    await store.redis.del(key, fence.fenceKey(LOCK)).catch(() => {});
    await store.close();
    await client.close();
  }
});
