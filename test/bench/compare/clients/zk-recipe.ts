/**
 * ZooKeeper's standard lock recipe (zookeeper.apache.org, "Recipes and Solutions: Locks"; what
 * Curator's InterProcessMutex does): create an ephemeral-sequential child of the lock node, list
 * the children, hold the lock when ours has the lowest sequence number, otherwise watch only the
 * next-lower child (no herd effect) and list again when it goes. Release deletes our child.
 * Leader election is the same recipe on its own node, with the candidate's value as data.
 */
import { type Client, CreateMode } from 'node-zookeeper-client';
import { children, createNode, ensurePath, removeNode, waitGone } from './zk-ops.js';

const CHILD_PREFIX = 'n-';

/** The sequence number ZooKeeper appended (10 digits). */
function sequenceOf(child: string): number {
  return Number(child.slice(child.length - 10));
}

/** Parent paths known to exist (the recipe creates the lock node once, like Curator's creatingParents). */
const knownParents = new WeakMap<Client, Set<string>>();

async function ensureParent(zk: Client, path: string): Promise<void> {
  let known = knownParents.get(zk);
  if (known === undefined) {
    known = new Set();
    knownParents.set(zk, known);
  }
  if (known.has(path)) return;
  await ensurePath(zk, path);
  known.add(path);
}

/** Queues at `parent` and resolves with our node's path once it is the lowest. */
export async function enqueueAndWait(zk: Client, parent: string, data: Buffer): Promise<string> {
  await ensureParent(zk, parent);
  const ours = await createNode(zk, `${parent}/${CHILD_PREFIX}`, data, CreateMode.EPHEMERAL_SEQUENTIAL);
  const ourName = ours.slice(parent.length + 1);
  const ourSeq = sequenceOf(ourName);
  try {
    for (;;) {
      const queue = (await children(zk, parent)).filter((c) => c.startsWith(CHILD_PREFIX));
      let predecessor: string | null = null;
      let predecessorSeq = -1;
      for (const c of queue) {
        const seq = sequenceOf(c);
        if (seq < ourSeq && seq > predecessorSeq) {
          predecessor = c;
          predecessorSeq = seq;
        }
      }
      if (predecessor === null) return ours;
      await waitGone(zk, `${parent}/${predecessor}`);
    }
  } catch (err) {
    await removeNode(zk, ours).catch(() => {});
    throw err;
  }
}

export { removeNode };
