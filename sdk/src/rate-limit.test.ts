/**
 * A server rate limit answers RESOURCE_EXHAUSTED with `retryAfterMs`: the SDK sends the same
 * request again once that time has passed (within the request deadline). Without the hint a
 * RESOURCE_EXHAUSTED is final.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BatonClient } from './client.js';
import { FakeServer } from './testing/fake-server.js';
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
