/**
 * The nemesis's operator: membership changes through the SDK's admin calls, as `baton members
 * remove|add` makes them. A change is retried (a leader election in between, a member still
 * catching up) until it is done or a deadline passes; then it throws, and the checks count a
 * change a healthy cluster kept refusing as a violation.
 */
import { BatonClient, BatonError, isBatonError } from '@baton/sdk';
import { monotonicMs, sleep } from '../clock.js';
import type { ChaosCluster } from '../cluster/chaos-cluster.js';
import type { MemberOps } from './fault-kinds.js';

/** How long one change may keep failing before the nemesis gives up on it. */
const CHANGE_DEADLINE_MS = 45_000;
const RETRY_MS = 250;
/** How long the leader may wait for a re-added member to catch up before promoting it. */
const CATCH_UP_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 5_000;

export class MemberAdmin implements MemberOps {
  private constructor(
    private readonly client: BatonClient,
    private readonly cluster: ChaosCluster,
  ) {}

  static async connect(cluster: ChaosCluster): Promise<MemberAdmin> {
    const client = await BatonClient.connect({
      endpoints: cluster.clientUrls,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      connectTimeoutMs: 1_000,
      reconnectBackoff: { initialMs: 50, maxMs: 250 },
      clientId: `chaos-admin-${process.pid}`,
    });
    return new MemberAdmin(client, cluster);
  }

  readonly remove = (name: string): Promise<void> =>
    this.retry(`remove ${name}`, async () => {
      try {
        await this.client.removeMember(name);
      } catch (err) {
        // an earlier attempt whose answer was lost already removed it
        if (!isBatonError(err, 'NOT_FOUND')) throw err;
      }
    });

  readonly add = (name: string): Promise<void> =>
    this.retry(`add ${name}`, async () => {
      const member = await this.client.addMember(name, this.cluster.peerUrlOf(name), {
        clientUrl: this.cluster.clientUrl(name),
        catchUpTimeoutMs: CATCH_UP_TIMEOUT_MS,
      });
      if (member.role !== 'voter') throw new Error(`${name} is still a ${member.role}`);
    });

  async close(): Promise<void> {
    await this.client.close().catch(() => {});
  }

  private async retry(what: string, attempt: () => Promise<void>): Promise<void> {
    const deadlineMs = monotonicMs() + CHANGE_DEADLINE_MS;
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        await attempt();
        return;
      } catch (err) {
        // only the service's answers are worth another try; a bug in the harness is not
        if (!(err instanceof BatonError) && !(err instanceof Error && /still a learner/.test(err.message))) throw err;
        if (monotonicMs() >= deadlineMs) {
          throw new Error(`${what} still failing after ${attempts} attempts: ${describe(err)}`);
        }
      }
      await sleep(RETRY_MS);
    }
  }
}

function describe(err: unknown): string {
  return err instanceof BatonError ? `${err.code}: ${err.message}` : String(err);
}
