/**
 * One worker of primary-worker: campaigns for `workers/primary`; while it leads it does a job every
 * JOB_MS and stops the moment `lead.signal` says leadership is gone. SIGTERM makes it resign and
 * exit 0. Usage: node worker.mjs <name>, with BATON_ENDPOINTS set.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BatonClient, isBatonError } from '@baton/sdk';

export const ELECTION = 'workers/primary';
const JOB_MS = 300;
/** A killed worker's leadership passes on this long after its last keepalive. */
const TTL_MS = 2_000;

const name = process.argv[2];
const endpoints = (process.env.BATON_ENDPOINTS ?? '').split(',').filter((e) => e !== '');
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
const log = (line) => console.log(`${name}: ${line}`);

const client = await BatonClient.connect({ endpoints });
const session = await client.session({ ttlMs: TTL_MS, label: name });
log('campaigning');
try {
  const lead = await session.campaign(ELECTION, name, { signal: stop.signal });
  log(`I lead (term ${lead.term})`);
  const done = AbortSignal.any([lead.signal, stop.signal]);
  for (let job = 1; !done.aborted; job++) {
    await sleep(JOB_MS, undefined, { signal: done }).catch(() => {});
    if (done.aborted) break;
    // the term is this leadership's fencing token: pass it along with every write
    log(`job ${job} done (term ${lead.term})`);
  }
  if (lead.signal.aborted && !stop.signal.aborted) log(`lost leadership: ${lead.signal.reason.message}`);
  await lead.resign();
  log('resigned');
} catch (err) {
  if (!isBatonError(err, 'CANCELLED')) throw err;
  log('stopped before leading');
}
await client.close();
