/**
 * ZooKeeper through `node-zookeeper-client`. A ZooKeeper session is its connection, so each
 * session opened here is its own client connection with the requested session timeout (the
 * ensemble clamps it to [2, 20] × tickTime). Locks and elections use the standard recipe.
 */
import { type Client, createClient } from 'node-zookeeper-client';
import type { HeldLeadership, HeldLock, LockClient, LockSession, NameKind } from './lock-client.js';
import { children } from './zk-ops.js';
import { enqueueAndWait, removeNode, sequenceOf } from './zk-recipe.js';

const LOCK_ROOT = '/locks';
const ELECTION_ROOT = '/election';
/** Opening a connection (and its session) may take this long before it counts as failed. */
const CONNECT_TIMEOUT_MS = 15_000;
/**
 * Delay between attempts to reach the next server after a connection drops. The library's
 * default is 1 s; the Java client waits a random 0–1 s. 100 ms is generous to ZooKeeper.
 */
const RECONNECT_DELAY_MS = 100;

function connectZk(connectionString: string, sessionTimeoutMs: number): Promise<Client> {
  const zk = createClient(connectionString, { sessionTimeout: sessionTimeoutMs, spinDelay: RECONNECT_DELAY_MS });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      zk.close();
      reject(new Error(`no ZooKeeper session within ${CONNECT_TIMEOUT_MS} ms (${connectionString})`));
    }, CONNECT_TIMEOUT_MS);
    zk.once('connected', () => {
      clearTimeout(timer);
      resolve(zk);
    });
    zk.connect();
  });
}

class ZkSession implements LockSession {
  constructor(private readonly zk: Client) {}

  async acquire(name: string): Promise<HeldLock> {
    const ours = await enqueueAndWait(this.zk, `${LOCK_ROOT}/${name}`, Buffer.alloc(0));
    return { release: () => removeNode(this.zk, ours), queueOrder: sequenceOf(ours) };
  }

  async campaign(name: string, value: string): Promise<HeldLeadership> {
    const ours = await enqueueAndWait(this.zk, `${ELECTION_ROOT}/${name}`, Buffer.from(value));
    return { resign: () => removeNode(this.zk, ours) };
  }

  async close(): Promise<void> {
    this.zk.close();
  }
}

export class ZkLockClient implements LockClient {
  private admin: Promise<Client> | null = null;

  private constructor(private readonly connectionString: string) {}

  static async connect(endpoints: readonly string[]): Promise<ZkLockClient> {
    return new ZkLockClient(endpoints.join(','));
  }

  async openSession(ttlMs: number): Promise<LockSession> {
    return new ZkSession(await connectZk(this.connectionString, ttlMs));
  }

  async participants(name: string, kind: NameKind): Promise<number> {
    this.admin ??= connectZk(this.connectionString, 30_000);
    const root = kind === 'lock' ? LOCK_ROOT : ELECTION_ROOT;
    return (await children(await this.admin, `${root}/${name}`)).length;
  }

  async close(): Promise<void> {
    if (this.admin !== null) (await this.admin.catch(() => null))?.close();
  }
}
