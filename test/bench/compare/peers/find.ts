/** Where each peer's programs are, when they are installed. */
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SystemName } from '../clients/lock-client.js';
import { ZOOKEEPER_JAR } from '../systems/zookeeper.js';

export function findOnPath(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    if (dir === '') continue;
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The peer's server program (for ZooKeeper: java, with the jar checked too), or null. */
export function findPeer(system: Exclude<SystemName, 'baton'>): string | null {
  switch (system) {
    case 'etcd':
      return findOnPath('etcd');
    case 'redis':
      return findOnPath('redis-server');
    case 'zookeeper':
      return existsSync(ZOOKEEPER_JAR) ? findOnPath('java') : null;
  }
}

/** The Debian package that brings each peer. */
export const DEBIAN_PACKAGES: Readonly<Record<Exclude<SystemName, 'baton'>, string>> = {
  etcd: 'etcd-server',
  zookeeper: 'zookeeper',
  redis: 'redis-server',
};
