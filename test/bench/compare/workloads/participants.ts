/** Waiting until a waiter or candidate is really queued on the servers (not merely asked for). */
import type { LockClient, NameKind } from '../clients/lock-client.js';
import { pollUntil } from '../systems/system.js';

/** A queued waiter shows up within this; longer means the workload is stuck. */
const QUEUED_TIMEOUT_MS = 20_000;

export function waitParticipants(client: LockClient, name: string, kind: NameKind, count: number): Promise<true> {
  return pollUntil(`${count} participants of ${name}`, QUEUED_TIMEOUT_MS, async () =>
    (await client.participants(name, kind)) >= count ? true : null,
  );
}
