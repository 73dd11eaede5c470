/**
 * Is the cluster serving? The harness's own SDK client (not part of the workload) tries a write
 * round trip — open a session and close it, both log entries — then asks for an agreed leader,
 * and, after a crash, reads every name so the history shows the state the restarted cluster
 * serves (a lost acknowledged grant or release then has no linearization).
 */
import { BatonClient, BatonError } from '@baton/sdk';
import { sleep } from '../clock.js';
import type { StatusPoller } from '../cluster/status-poller.js';
import type { HistoryRecord } from '../worker/protocol.js';

/** Probe sessions: the shortest TTL the server takes; they are closed at once anyway. */
const PROBE_TTL_MS = 2_000;
const PROBE_RETRY_MS = 100;
const PROBE_REQUEST_TIMEOUT_MS = 2_000;

export class Probe {
  private constructor(
    private readonly client: BatonClient,
    private readonly poller: StatusPoller,
    private readonly now: () => number,
    private readonly nodeOf: (url: string | null) => string | undefined,
  ) {}

  /** Connects once any node listens (servers that just started may take a few seconds), within `timeoutMs`. */
  static async connect(
    endpoints: readonly string[],
    poller: StatusPoller,
    now: () => number,
    nodeOf: (url: string | null) => string | undefined,
    timeoutMs: number,
  ): Promise<Probe> {
    const deadlineMs = now() + timeoutMs;
    for (;;) {
      try {
        const client = await BatonClient.connect({
          endpoints: [...endpoints],
          requestTimeoutMs: PROBE_REQUEST_TIMEOUT_MS,
          connectTimeoutMs: 1_000,
          heartbeatIntervalMs: 1_000,
          reconnectBackoff: { initialMs: 50, maxMs: 250 },
          clientId: `chaos-probe-${process.pid}`,
        });
        return new Probe(client, poller, now, nodeOf);
      } catch (err) {
        if (now() >= deadlineMs) throw err;
        await sleep(PROBE_RETRY_MS);
      }
    }
  }

  /**
   * Waits until a write round trip succeeds (a leader exists and a quorum commits), then until
   * every running node names the same leader; returns both times from the call, or null for what
   * did not happen within `giveUpMs`.
   */
  async waitRecovered(giveUpMs: number): Promise<{ servingMs: number | null; convergedMs: number | null }> {
    const startMs = this.now();
    let servingMs: number | null = null;
    while (this.now() - startMs < giveUpMs) {
      if (servingMs === null && (await this.writeRoundTrip())) servingMs = this.now() - startMs;
      if (servingMs !== null && (await this.poller.agreedLeader()) !== null) {
        return { servingMs, convergedMs: this.now() - startMs };
      }
      await sleep(PROBE_RETRY_MS);
    }
    return { servingMs, convergedMs: null };
  }

  /** Waits for a write round trip and an agreed leader; the time that took, or null. */
  async waitServing(giveUpMs: number): Promise<number | null> {
    return (await this.waitRecovered(giveUpMs)).convergedMs;
  }

  /** describe of every name, recorded as operations of client `who`. */
  async readAll(names: readonly string[], who: string, record: (rec: HistoryRecord) => void): Promise<void> {
    for (const name of names) {
      const invokeMs = this.now();
      let result: Record<string, unknown>;
      try {
        const d = await this.client.describe(name);
        result = { holders: d.holders.map((h) => ({ session: h.sessionId, token: h.token })) };
      } catch (err) {
        result = { error: { code: err instanceof BatonError ? err.code : 'INTERNAL' } };
      }
      const node = this.nodeOf(this.client.connectedEndpoint);
      record({
        client: who,
        ...(node === undefined ? {} : { node }),
        invokeMs,
        returnMs: this.now(),
        op: 'describe',
        name,
        args: {},
        result,
      });
    }
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => {});
  }

  private async writeRoundTrip(): Promise<boolean> {
    try {
      const session = await this.client.session({ ttlMs: PROBE_TTL_MS, label: 'chaos-probe' });
      await session.close();
      return true;
    } catch {
      return false;
    }
  }
}
