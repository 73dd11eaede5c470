/**
 * ZooKeeper's standard lock recipe (zookeeper.apache.org, "Recipes and Solutions: Locks"; what
 * Curator's InterProcessMutex does): create an ephemeral-sequential child of the lock node, list
 * the children, hold the lock when ours has the lowest sequence number, otherwise watch only the
 * next-lower child (no herd effect) and list again when it goes. Release deletes our child.
 * Leader election is the same recipe on its own node, with the candidate's value as data.
 */
import { type Client, CreateMode } from 'node-zookeeper-client';
import { children, createNode, ensurePath, isNoNode, removeNode, waitGone } from './zk-ops.js';

const CHILD_PREFIX = 'n-';

/** The sequence number ZooKeeper appended (10 digits). */
export function sequenceOf(child: string): number {
  return Number(child.slice(child.length - 10));
}

/**
 * Creates our ephemeral-sequential child; when the lock node does not exist yet, creates it and
 * its parents and tries again (Curator's creatingParentContainersIfNeeded: no extra write while
 * the lock node exists).
 */
async function createChild(zk: Client, parent: string, data: Buffer): Promise<string> {
  try {
    return await createNode(zk, `${parent}/${CHILD_PREFIX}`, data, CreateMode.EPHEMERAL_SEQUENTIAL);
  } catch (err) {
    if (!isNoNode(err)) throw err;
    await ensurePath(zk, parent);
    return createNode(zk, `${parent}/${CHILD_PREFIX}`, data, CreateMode.EPHEMERAL_SEQUENTIAL);
  }
}

/** Queues at `parent` and resolves with our node's path once it is the lowest. */
export async function enqueueAndWait(zk: Client, parent: string, data: Buffer): Promise<string> {
  const ours = await createChild(zk, parent, data);
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
