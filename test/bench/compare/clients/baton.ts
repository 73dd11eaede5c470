/** Baton through its own SDK, exactly as an application uses it: one session per worker. */
import { BatonClient, type Session } from '@baton/sdk';
import type { HeldLeadership, HeldLock, LockClient, LockSession, NameKind } from './lock-client.js';

class BatonSession implements LockSession {
  constructor(private readonly session: Session) {}

  async acquire(name: string): Promise<HeldLock> {
    const lock = await this.session.acquire(name);
    return { release: () => lock.release() };
  }

  async campaign(name: string, value: string): Promise<HeldLeadership> {
    const leadership = await this.session.campaign(name, value);
    return { resign: () => leadership.resign() };
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

export class BatonLockClient implements LockClient {
  private constructor(private readonly client: BatonClient) {}

  static async connect(endpoints: readonly string[]): Promise<BatonLockClient> {
    return new BatonLockClient(await BatonClient.connect({ endpoints: endpoints.map((e) => `ws://${e}`) }));
  }

  async openSession(ttlMs: number): Promise<LockSession> {
    return new BatonSession(await this.client.session({ ttlMs }));
  }

  async participants(name: string, _kind: NameKind): Promise<number> {
    // an election is a lock whose holder carries a value: describe shows both the same way
    const d = await this.client.describe(name);
    return d.holders.length + d.waiters.length;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
