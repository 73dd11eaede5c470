/**
 * The lock holder of workload 5, run as its own process (`cli.js --holder '<json>'`) so that
 * SIGKILL takes it down the way a crashed application goes: it opens a session with the given
 * TTL, takes the lock, prints "held", and keeps its session alive until it is killed.
 */
import { connectClient } from '../clients/connect.js';
import type { ConnectSpec } from '../clients/lock-client.js';

export interface HolderSpec {
  readonly connect: ConnectSpec;
  readonly ttlMs: number;
  readonly name: string;
}

export const HOLDER_READY_LINE = 'held';

export async function runHolder(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as HolderSpec;
  const client = await connectClient(spec.connect);
  const session = await client.openSession(spec.ttlMs);
  await session.acquire(spec.name);
  process.stdout.write(`${HOLDER_READY_LINE}\n`);
  // the session's keepalive timers keep the process alive until the harness kills it
}
