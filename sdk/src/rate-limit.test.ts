/**
 * A server rate limit answers RESOURCE_EXHAUSTED with `retryAfterMs`: the SDK sends the same
 * request again once that time has passed (within the request deadline). Without the hint a
 * RESOURCE_EXHAUSTED is final. While one waits, newer requests do not push its seq out of the
 * server's exactly-once window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEDUP_WINDOW_SEQS, RATE_LIMIT_MIN_RETRY_MS, rateLimitRetryDelayMs } from './channel.js';
import type { BatonClient } from './client.js';
import { FakeServer, type Received } from './testing/fake-server.js';
import { connect } from './testing/helpers.js';

const servers: FakeServer[] = [];
const clients: BatonClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function setup(): Promise<{ server: FakeServer; client: BatonClient }> {
  const server = await FakeServer.start('n1');
  servers.push(server);
  const client = await connect([server], { reconnectBackoff: { initialMs: 1, maxMs: 1 } });
  clients.push(client);
  return { server, client };
}

describe('rate limits', () => {
  it('waits retryAfterMs, then sends the same request again', async () => {
    const { server, client } = await setup();
    const RETRY_AFTER_MS = 300;
    let refusedAtMs = 0;
    server.script = (r) => {
      if (r.type !== 'lock.describe' || refusedAtMs !== 0) return undefined;
      refusedAtMs = performance.now();
      return { error: 'RESOURCE_EXHAUSTED', message: 'slow down', retryAfterMs: RETRY_AFTER_MS };
    };
    const answer = client.describe('jobs/a');
    const first = await server.takeType('lock.describe');
    const again = await server.takeType('lock.describe');
    // a lower bound only (timers never fire early; 5 ms of slack for clock rounding)
    expect(performance.now() - refusedAtMs).toBeGreaterThanOrEqual(RETRY_AFTER_MS - 5);
    expect(again.fields.name).toBe(first.fields.name);
    await expect(answer).resolves.toMatchObject({ name: 'jobs/a' });
  });

  it('a RESOURCE_EXHAUSTED without a hint is final', async () => {
    const { server, client } = await setup();
    server.script = (r) =>
      r.type === 'lock.describe' ? { error: 'RESOURCE_EXHAUSTED', message: 'too many names' } : undefined;
    await expect(client.describe('x')).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED', retryAfterMs: undefined });
    expect(server.all('lock.describe')).toHaveLength(1);
  });
});

describe('a retry waiting out a rate limit', () => {
  it('keeps newer requests from pushing its seq out of the server exactly-once window', async () => {
    const { server, client } = await setup();
    const session = await client.session({ ttlMs: 60_000 });
    let refused: Received | null = null;
    server.script = (r) => {
      if (r.type !== 'lock.acquire' || r.fields.name !== 'jobs/first' || refused !== null) return undefined;
      refused = r;
      return { error: 'RESOURCE_EXHAUSTED', message: 'slow down', retryAfterMs: 200 };
    };
    const first = session.tryAcquire('jobs/first');
    await server.takeType('lock.acquire');
    const firstSeq = (refused as unknown as Received).fields.seq as number;
    // more than a window of requests while the first waits to be sent again
    const rest = Array.from({ length: DEDUP_WINDOW_SEQS + 20 }, (_, i) => session.tryAcquire(`jobs/${i}`));
    await Promise.all([first, ...rest]);
    const acquires = server.all('lock.acquire');
    const retryAt = acquires.findIndex((r, i) => i > 0 && r.fields.name === 'jobs/first');
    expect(retryAt).toBeGreaterThan(0);
    for (const r of acquires.slice(0, retryAt)) {
      expect(r.fields.seq as number).toBeLessThan(firstSeq + DEDUP_WINDOW_SEQS);
    }
    expect(acquires[retryAt]?.fields.seq).toBe(firstSeq);
    expect(acquires).toHaveLength(DEDUP_WINDOW_SEQS + 22);
  });
});

describe('rateLimitRetryDelayMs', () => {
  it('follows the hint, spread by up to 2x, with a floor, and does not grow with retries', () => {
    expect(rateLimitRetryDelayMs(300, () => 0)).toBe(300);
    expect(rateLimitRetryDelayMs(300, () => 0.999)).toBe(600);
    expect(rateLimitRetryDelayMs(1, () => 0)).toBe(RATE_LIMIT_MIN_RETRY_MS);
    const delays = Array.from({ length: 10 }, () => rateLimitRetryDelayMs(20, () => 0.5));
    expect(new Set(delays)).toEqual(new Set([30]));
  });
});
