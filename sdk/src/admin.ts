/**
 * Cluster administration from the SDK (`BatonClient.members()`, `addMember()`…): membership
 * changes, leadership transfer and the online backup, over the `admin.*` requests. The Channel
 * follows NOT_LEADER to the leader and retries UNAVAILABLE (one change at a time, a leader
 * still committing its first entry) until the call's deadline, as for every other request.
 */
import { createHash } from 'node:crypto';
import type {
  AdminMember,
  AdminMembersListResult,
  AdminSnapshotSaveResult,
  ClientResultOf,
  RequestType,
} from '@baton/proto-schemas';
import type { RequestBody } from './call.js';
import type { Channel } from './channel.js';
import type { Connection } from './connection.js';
import { BatonError, isBatonError } from './errors.js';
import type { ResolvedClientOptions } from './options.js';

export type { AdminMember, AdminMembersListResult, AdminSnapshotSaveResult } from '@baton/proto-schemas';

export interface AddMemberOptions {
  /** Defaults to the peer URL's host and port as `ws(s)://…/v1/client`. */
  readonly clientUrl?: string;
  /** Promote to voter once caught up (default true); false leaves a learner. */
  readonly voter?: boolean;
  /** How long the leader may wait for the learner to catch up before promoting it. Default 60 s. */
  readonly catchUpTimeoutMs?: number;
}

export interface WaitOptions {
  /** How long the leader may wait (a learner catching up, a transfer completing). */
  readonly timeoutMs?: number;
}

/** A consistent copy of the state machine, as `admin.snapshot.save` described it. */
export interface SnapshotCopy {
  readonly info: AdminSnapshotSaveResult;
  readonly data: Uint8Array;
}

export const ADMIN_DEFAULTS = Object.freeze({
  catchUpTimeoutMs: 60_000,
  /** Whole backups retried when the node holding one went away mid-read. */
  snapshotAttempts: 3,
});

export class AdminCalls {
  constructor(
    private readonly channel: Channel,
    private readonly options: ResolvedClientOptions,
    private readonly assertOpen: () => void,
  ) {}

  members(): Promise<AdminMembersListResult> {
    return this.call('admin.members.list', {});
  }

  /**
   * Adds `id` as a learner, waits (on the leader) until it has caught up, then promotes it to
   * voter — the way to grow a cluster without losing availability (thesis §4.2.1). Sent again
   * after a lost answer, an add of the same id and peer URL counts as done.
   */
  async addMember(id: string, peerUrl: string, options: AddMemberOptions = {}): Promise<AdminMember> {
    let member: AdminMember;
    try {
      member = (
        await this.call('admin.members.add', {
          memberId: id,
          peerUrl,
          ...(options.clientUrl === undefined ? {} : { clientUrl: options.clientUrl }),
        })
      ).member;
    } catch (err) {
      const existing = isBatonError(err, 'ALREADY_EXISTS') ? await this.sameMember(id, peerUrl) : undefined;
      if (existing === undefined) throw err;
      member = existing;
    }
    if (options.voter === false || member.role === 'voter') return member;
    try {
      return await this.promoteMember(id, { timeoutMs: options.catchUpTimeoutMs ?? ADMIN_DEFAULTS.catchUpTimeoutMs });
    } catch (err) {
      // a promotion applied before its answer was lost, then sent again
      const voter = isBatonError(err, 'ALREADY_EXISTS')
        ? (await this.members()).members.find((m) => m.id === id)
        : undefined;
      if (voter?.role === 'voter') return voter;
      throw err;
    }
  }

  /** Makes learner `id` a voter once caught up (waiting up to timeoutMs on the leader). */
  async promoteMember(id: string, options: WaitOptions = {}): Promise<AdminMember> {
    const timeoutMs = options.timeoutMs ?? 0;
    return (await this.call('admin.members.promote', { memberId: id, timeoutMs }, timeoutMs)).member;
  }

  /** Removes `id`; the leader hands leadership to another voter first when `id` is itself. */
  async removeMember(id: string): Promise<void> {
    await this.call('admin.members.remove', { memberId: id }, this.electionWaitMs());
  }

  /** Hands leadership to voter `id`; resolves once it leads. */
  transferLeadership(id: string, options: WaitOptions = {}): Promise<ClientResultOf<'admin.leader.transfer'>> {
    return this.call(
      'admin.leader.transfer',
      { memberId: id, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) },
      options.timeoutMs ?? this.electionWaitMs(),
    );
  }

  /**
   * A consistent snapshot of the state machine, read in chunks from the node that took it and
   * checked against the SHA-256 it announced. If that node goes away mid-read the copy starts
   * over (its snapshot lives only there).
   */
  async saveSnapshot(): Promise<SnapshotCopy> {
    let lastError: unknown = null;
    for (let attempt = 0; attempt < ADMIN_DEFAULTS.snapshotAttempts; attempt++) {
      try {
        return await this.readSnapshotOnce();
      } catch (err) {
        lastError = err;
        if (!isBatonError(err, 'UNAVAILABLE') && !isBatonError(err, 'NOT_FOUND')) throw err;
      }
    }
    throw lastError;
  }

  private async readSnapshotOnce(): Promise<SnapshotCopy> {
    let conn: Connection | null = null;
    const info = await this.call('admin.snapshot.save', {}, 0, (c) => {
      conn = c;
    });
    const data = new Uint8Array(info.sizeBytes);
    let offset = 0;
    while (offset < info.sizeBytes || offset === 0) {
      const pinned: Connection | null = conn;
      if (pinned === null) throw new BatonError('UNAVAILABLE', 'the connection that took the snapshot is gone');
      const chunk = await this.call(
        'admin.snapshot.chunk',
        { snapshotId: info.snapshotId, offset },
        0,
        undefined,
        pinned,
      );
      const bytes = Buffer.from(chunk.data, 'base64');
      if (chunk.offset !== offset || offset + bytes.byteLength > info.sizeBytes) {
        throw new BatonError('INTERNAL', `snapshot chunk at ${chunk.offset} does not fit (expected ${offset})`);
      }
      data.set(bytes, offset);
      offset += bytes.byteLength;
      if (chunk.done) break;
      if (bytes.byteLength === 0) throw new BatonError('INTERNAL', 'an empty snapshot chunk before the end');
    }
    if (offset !== info.sizeBytes)
      throw new BatonError('INTERNAL', `snapshot ended at ${offset} of ${info.sizeBytes} bytes`);
    if (createHash('sha256').update(data).digest('hex') !== info.sha256) {
      throw new BatonError('INTERNAL', 'the snapshot does not match the SHA-256 the server announced');
    }
    return { info, data };
  }

  private async sameMember(id: string, peerUrl: string): Promise<AdminMember | undefined> {
    const wanted = new URL(peerUrl);
    const m = (await this.members()).members.find((x) => x.id === id);
    if (m === undefined) return undefined;
    const have = new URL(m.peerUrl);
    return have.protocol === wanted.protocol && have.host === wanted.host ? m : undefined;
  }

  /** Leadership changes take up to a few election timeouts; the server bounds its own wait. */
  private electionWaitMs(): number {
    return this.options.requestTimeoutMs;
  }

  private call<T extends RequestType>(
    type: T,
    body: RequestBody<T>,
    serverWaitMs = 0,
    onConnection?: (conn: Connection) => void,
    pinned?: Connection,
  ): Promise<ClientResultOf<T>> {
    this.assertOpen();
    return this.channel.call({
      type,
      build: () => body,
      seq: 'none',
      // the leader may wait serverWaitMs before answering: the call's own deadline allows for it
      deadlineMs: this.options.clock.now() + this.options.requestTimeoutMs + serverWaitMs,
      ...(pinned === undefined ? {} : { pinned }),
      ...(onConnection === undefined ? {} : { onSent: (attempt) => onConnection(attempt.conn) }),
    }).promise;
  }
}
