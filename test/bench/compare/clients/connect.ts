/** Opens the right adapter for a system: one place, used by the harness and by holder children. */
import { BatonLockClient } from './baton.js';
import { EtcdLockClient } from './etcd.js';
import type { ConnectSpec, LockClient } from './lock-client.js';
import { RedisLockClient } from './redis.js';
import { ZkLockClient } from './zookeeper.js';

export function connectClient(spec: ConnectSpec): Promise<LockClient> {
  switch (spec.system) {
    case 'baton':
      return BatonLockClient.connect(spec.endpoints);
    case 'etcd':
      return EtcdLockClient.connect(spec.endpoints);
    case 'zookeeper':
      return ZkLockClient.connect(spec.endpoints);
    case 'redis':
      return RedisLockClient.connect(spec.endpoints);
  }
}
