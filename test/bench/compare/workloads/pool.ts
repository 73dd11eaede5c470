/** Client connections and sessions for a workload, opened with bounded parallelism and closed together. */
import { connectClient } from '../clients/connect.js';
import type { ConnectSpec, LockClient, LockSession } from '../clients/lock-client.js';

/** Runs `fn` for 0..count-1 with at most `concurrency` at once; results in index order. */
export async function mapLimited<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  });
  await Promise.all(lanes);
  return out;
}

export class SessionPool {
  private constructor(
    readonly clients: readonly LockClient[],
    readonly sessions: readonly LockSession[],
  ) {}

  /**
   * `sessions` sessions with TTL `ttlMs`, `perClient` of them on each client connection (the
   * first connection also answers participants()).
   */
  static async open(
    spec: ConnectSpec,
    sessions: number,
    perClient: number,
    ttlMs: number,
    concurrency: number,
    onOpened?: (opened: number) => void,
  ): Promise<SessionPool> {
    const clientCount = Math.max(1, Math.ceil(sessions / perClient));
    const clients: LockClient[] = [];
    try {
      for (const c of await mapLimited(clientCount, concurrency, () => connectClient(spec))) clients.push(c);
      let count = 0;
      const opened = await mapLimited(sessions, concurrency, async (i) => {
        const session = await (clients[Math.floor(i / perClient)] as LockClient).openSession(ttlMs);
        onOpened?.(++count);
        return session;
      });
      return new SessionPool(clients, opened);
    } catch (err) {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      throw err;
    }
  }

  session(i: number): LockSession {
    const s = this.sessions[i];
    if (s === undefined) throw new Error(`no session ${i}`);
    return s;
  }

  get admin(): LockClient {
    return this.clients[0] as LockClient;
  }

  /** Closes every session (releasing what it holds), then the connections; errors are ignored. */
  async close(concurrency = 64): Promise<void> {
    await mapLimited(this.sessions.length, concurrency, (i) =>
      this.session(i)
        .close()
        .catch(() => {}),
    );
    await Promise.all(this.clients.map((c) => c.close().catch(() => {})));
  }
}
