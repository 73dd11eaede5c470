/**
 * etcd's own lock recipe, `client/v3/concurrency.Mutex` (etcd 3.4), written with the `etcd3`
 * client: the key `<name>/<lease id in hex>` is put under the lock's prefix bound to the worker's
 * lease, in one transaction that also reads the oldest key of the prefix; the oldest create
 * revision holds the lock, and a waiter watches the delete of the newest key created before its
 * own (waitDeletes). Unlock deletes the key. The `etcd3` package's own `Lock` class is not used:
 * it fails at once when the key exists instead of queueing, which is not how etcd locks.
 */
import type { Etcd3 } from 'etcd3';
import type { HeldLock } from './lock-client.js';

interface RangeKv {
  readonly key: Buffer;
  readonly create_revision: string;
}

interface TxnRangeResponse {
  readonly response_range?: { readonly kvs: readonly RangeKv[] } | null;
}

/** Acquires `name` for the lease `leaseId` (decimal, as `etcd3` returns it). */
export async function lockMutex(client: Etcd3, name: string, leaseId: string): Promise<HeldLock> {
  const pfx = `${name}/`;
  const myKey = `${pfx}${BigInt(leaseId).toString(16)}`;
  const getOwner = client.getAll().prefix(pfx).sort('Create', 'Ascend').limit(1);
  const resp = await client
    .if(myKey, 'Create', '==', 0)
    .then(client.put(myKey).value('').lease(leaseId), getOwner)
    .else(client.get(myKey), getOwner)
    .commit();
  let myRev = BigInt(resp.header.revision);
  if (!resp.succeeded) {
    const mine = (resp.responses[0] as TxnRangeResponse).response_range?.kvs[0];
    if (mine !== undefined) myRev = BigInt(mine.create_revision);
  }
  const owner = (resp.responses[1] as TxnRangeResponse).response_range?.kvs[0];
  const held: HeldLock = {
    release: async () => {
      await client.delete().key(myKey);
    },
    queueOrder: Number(myRev),
  };
  if (owner === undefined || BigInt(owner.create_revision) === myRev) return held;
  try {
    await waitDeletes(client, pfx, myRev - 1n);
  } catch (err) {
    await held.release().catch(() => {});
    throw err;
  }
  return held;
}

/** Waits until no key of `pfx` created at or before `maxCreateRev` is left (etcd's waitDeletes). */
async function waitDeletes(client: Etcd3, pfx: string, maxCreateRev: bigint): Promise<void> {
  for (;;) {
    const resp = await client
      .getAll()
      .prefix(pfx)
      .sort('Create', 'Descend')
      .maxCreateRevision(maxCreateRev.toString())
      .limit(1)
      .exec();
    const last = resp.kvs[0];
    if (last === undefined) return;
    await waitDelete(client, last.key, resp.header.revision);
  }
}

async function waitDelete(client: Etcd3, key: Buffer, revision: string): Promise<void> {
  const watcher = await client.watch().key(key).startRevision(revision).only('delete').create();
  try {
    await new Promise<void>((resolve, reject) => {
      watcher.once('delete', () => resolve());
      watcher.once('error', reject);
    });
  } finally {
    await watcher.cancel();
  }
}
