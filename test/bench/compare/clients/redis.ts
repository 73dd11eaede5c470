/**
 * The single-instance Redis lock (redis.io "Distributed Locks with Redis", the part before
 * Redlock): `SET key token NX PX ttl` to take it, a compare-and-delete script to release it, a
 * compare-and-pexpire script to keep a held lock alive. Redis has no queue: a waiter tries again
 * after a short random delay, so there is no FIFO order and no push on release. No sessions, no
 * elections; not replicated. The unreplicated, unfenced reference point.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  type HeldLeadership,
  type HeldLock,
  type LockClient,
  type LockSession,
  type NameKind,
  NotOfferedError,
} from './lock-client.js';

/**
 * A waiter tries again after this plus a random jitter of up to as much again. The `redlock`
 * package waits 200 + 0–200 ms; this is far tighter (generous to Redis), at some CPU cost.
 */
const RETRY_DELAY_MS = 10;
const KEY_PREFIX = 'lock:';
/** Held keys are refreshed in batches of this many commands per pipeline. */
const REFRESH_BATCH = 1_000;

const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

interface ScriptedRedis extends Redis {
  releaseLock(key: string, token: string): Promise<number>;
  extendLock(key: string, token: string, ttlMs: number): Promise<number>;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class RedisSession implements LockSession {
  private readonly held = new Map<string, string>();
  private nextToken = 0;
  private readonly refresher: NodeJS.Timeout;

  constructor(
    private readonly client: RedisLockClient,
    private readonly redis: ScriptedRedis,
    private readonly ttlMs: number,
    private readonly id: string,
  ) {
    this.refresher = setInterval(() => void this.refresh().catch(() => {}), ttlMs / 3);
    this.refresher.unref();
  }

  async acquire(name: string): Promise<HeldLock> {
    const key = `${KEY_PREFIX}${name}`;
    const token = `${this.id}:${++this.nextToken}`;
    let counted = false;
    try {
      for (;;) {
        if ((await this.redis.set(key, token, 'PX', this.ttlMs, 'NX')) === 'OK') break;
        if (!counted) {
          counted = true;
          this.client.pollers.set(key, (this.client.pollers.get(key) ?? 0) + 1);
        }
        await delay(RETRY_DELAY_MS * (1 + Math.random()));
      }
    } finally {
      if (counted) this.client.pollers.set(key, (this.client.pollers.get(key) ?? 1) - 1);
    }
    this.held.set(key, token);
    return {
      release: async () => {
        this.held.delete(key);
        await this.redis.releaseLock(key, token);
      },
    };
  }

  campaign(_name: string, _value: string): Promise<HeldLeadership> {
    return Promise.reject(new NotOfferedError('Redis has no leader election'));
  }

  async close(): Promise<void> {
    clearInterval(this.refresher);
    const keys = [...this.held];
    this.held.clear();
    for (let i = 0; i < keys.length; i += REFRESH_BATCH) {
      const p = this.redis.pipeline();
      for (const [key, token] of keys.slice(i, i + REFRESH_BATCH)) p.releaseLock(key, token);
      await p.exec();
    }
  }

  private async refresh(): Promise<void> {
    const keys = [...this.held];
    for (let i = 0; i < keys.length; i += REFRESH_BATCH) {
      const p = this.redis.pipeline();
      for (const [key, token] of keys.slice(i, i + REFRESH_BATCH)) p.extendLock(key, token, this.ttlMs);
      await p.exec();
    }
  }
}

declare module 'ioredis' {
  interface ChainableCommander {
    releaseLock(key: string, token: string): ChainableCommander;
    extendLock(key: string, token: string, ttlMs: number): ChainableCommander;
  }
}

export class RedisLockClient implements LockClient {
  /** Waiters of this process that tried at least once, per key (Redis itself keeps no queue). */
  readonly pollers = new Map<string, number>();

  private constructor(private readonly redis: ScriptedRedis) {}

  static async connect(endpoints: readonly string[]): Promise<RedisLockClient> {
    const [host, port] = (endpoints[0] ?? '').split(':');
    const redis = new Redis({ host, port: Number(port), lazyConnect: true }) as ScriptedRedis;
    redis.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    redis.defineCommand('extendLock', { numberOfKeys: 1, lua: EXTEND_SCRIPT });
    await redis.connect();
    return new RedisLockClient(redis);
  }

  async openSession(ttlMs: number): Promise<LockSession> {
    return new RedisSession(this, this.redis, ttlMs, randomUUID());
  }

  async participants(name: string, kind: NameKind): Promise<number> {
    if (kind === 'election') throw new NotOfferedError('Redis has no leader election');
    const key = `${KEY_PREFIX}${name}`;
    return (await this.redis.exists(key)) + (this.pollers.get(key) ?? 0);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
