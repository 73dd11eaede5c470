/**
 * etcd through the `etcd3` client: one lease per session (kept alive by the client, every TTL/3),
 * locks by etcd's Mutex recipe, elections by `etcd3`'s election API (etcd's Election recipe).
 */
import { Etcd3, type Lease } from 'etcd3';
import { lockMutex } from './etcd-mutex.js';
import type { HeldLeadership, HeldLock, LockClient, LockSession, NameKind } from './lock-client.js';

/** Prefixes, so lock keys and election keys never meet. */
const LOCK_PREFIX = 'locks/';
const ELECTION_PREFIX = 'election/';

/** etcd leases are whole seconds. */
function ttlSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

class EtcdSession implements LockSession {
  constructor(
    private readonly client: Etcd3,
    private readonly lease: Lease,
    private readonly leaseId: string,
    private readonly ttlMs: number,
  ) {}

  acquire(name: string): Promise<HeldLock> {
    return lockMutex(this.client, `${LOCK_PREFIX}${name}`, this.leaseId);
  }

  async campaign(name: string, value: string): Promise<HeldLeadership> {
    // etcd3's Campaign grants its own lease, as etcd's Go Election does with its session
    const campaign = this.client.election(name, ttlSeconds(this.ttlMs)).campaign(value);
    await campaign.wait();
    return { resign: () => campaign.resign() };
  }

  async close(): Promise<void> {
    await this.lease.revoke();
  }
}

export class EtcdLockClient implements LockClient {
  private constructor(private readonly client: Etcd3) {}

  static async connect(endpoints: readonly string[]): Promise<EtcdLockClient> {
    return new EtcdLockClient(new Etcd3({ hosts: endpoints.map((e) => `http://${e}`) }));
  }

  async openSession(ttlMs: number): Promise<LockSession> {
    const lease = this.client.lease(ttlSeconds(ttlMs), { autoKeepAlive: true });
    // a lost lease is the session's end: the workload sees it as failing operations
    lease.on('lost', () => {});
    const leaseId = await lease.grant();
    return new EtcdSession(this.client, lease, leaseId, ttlMs);
  }

  participants(name: string, kind: NameKind): Promise<number> {
    const pfx = kind === 'lock' ? `${LOCK_PREFIX}${name}/` : `${ELECTION_PREFIX}${name}/`;
    return this.client.getAll().prefix(pfx).count();
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
