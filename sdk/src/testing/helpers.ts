/** Shared setup for the SDK's unit tests. */
import { BatonClient } from '../client.js';
import type { BatonClientOptions } from '../options.js';
import type { FakeServer } from './fake-server.js';

/** Fast retries and a fixed jitter, so tests do not wait on backoff. */
export const FAST: Partial<BatonClientOptions> = Object.freeze({
  requestTimeoutMs: 5_000,
  connectTimeoutMs: 2_000,
  heartbeatIntervalMs: 60_000,
  reconnectBackoff: { initialMs: 1, maxMs: 5 },
  random: () => 0.5,
});

export function connect(
  servers: readonly FakeServer[],
  options: Partial<BatonClientOptions> = {},
): Promise<BatonClient> {
  return BatonClient.connect({ ...FAST, endpoints: servers.map((s) => s.url), ...options });
}

/** Settles after every pending microtask and I/O callback queued so far. */
export function flushIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Resolves once the client has processed every frame the server sent before this call's answer:
 * frames on one connection arrive in order, so a round trip is a barrier (no sleeping, and it
 * works under fake timers).
 */
export async function roundTrip(client: BatonClient): Promise<void> {
  await client.status();
}
