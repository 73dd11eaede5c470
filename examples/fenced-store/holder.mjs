/**
 * Holder A of fenced-store (a child process, so that it can be frozen with SIGSTOP). It takes the
 * lock, writes v1, checks that it still holds the lock, and is frozen right there — before the
 * write it has prepared. When it wakes, that write goes out with its old token.
 */
import { on } from 'node:events';
import { BatonClient, createRedisFence } from '@baton/sdk';
import { connectStoreFromChild } from './store.mjs';

const { LOCK, KEY, FENCE_PREFIX, BATON_ENDPOINTS } = process.env;
const TTL_MS = 2_000;
const report = (message) => process.send(message);

const client = await BatonClient.connect({ endpoints: BATON_ENDPOINTS.split(',') });
const session = await client.session({ ttlMs: TTL_MS, label: 'holder A' });
const store = await connectStoreFromChild();
const fence = createRedisFence(store.redis, { keyPrefix: FENCE_PREFIX });

const lock = await session.acquire(LOCK, { timeoutMs: 10_000, metadata: { owner: 'holder A', pid: process.pid } });
const first = await fence.fencedSet(LOCK, lock.token, KEY, `v1 by A (token ${lock.token})`);
report({ type: 'wrote', token: lock.token, ...first });

// the careful check before the next write… and then the process freezes (the parent sends SIGSTOP)
report({ type: 'checked', held: lock.held });
for await (const [message] of on(process, 'message', { signal: AbortSignal.timeout(60_000) })) {
  if (message?.type === 'go') break;
}
// awake again. The check is behind us; the prepared write goes out with the token we had
const signalFired = lock.signal.aborted;
const late = await fence.fencedSet(LOCK, lock.token, KEY, `v2 by A (token ${lock.token})`);
report({ type: 'late-write', token: lock.token, signalFired, reason: lock.signal.reason?.code ?? null, ...late });

await store.close();
await client.close();
process.disconnect();
