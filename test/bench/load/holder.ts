/**
 * The lock holder of the takeover workload, a process of its own so that SIGKILL stops its
 * keepalives the way a crash would: `load-holder.js <endpoints> <name> <ttlMs>` takes the lock,
 * prints `{"token": N}` and holds it until killed.
 */
import { BatonClient } from '@baton/sdk';

const [endpoints = '', name = 'load/takeover', ttl = '1000'] = process.argv.slice(2);
const client = await BatonClient.connect({ endpoints: endpoints.split(',') });
const session = await client.session({ ttlMs: Number(ttl) });
const lock = await session.acquire(name);
process.stdout.write(`${JSON.stringify({ token: lock.token })}\n`);
// hold until killed; the session's own timers keep the process alive
setInterval(() => {}, 1 << 30);
