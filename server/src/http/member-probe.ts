/**
 * Every member's own view (`/v1/status`), fetched over the peer URL, so that any node — a
 * follower too — can show each member's role, term and indexes. The peer URL is what the nodes
 * use to reach each other, so a member this node cannot reach shows as unreachable, which is
 * the truth from here. With `--peer-listen` the peer listener answers `/v1/status` too, and with
 * mutual TLS the probe presents this node's peer certificate (peer-status-fetch.ts). Concurrent callers share one round, and a round is reused briefly, so the
 * page open in many tabs costs one request per member per `reuseMs`.
 */
import type { Member } from '../node/members.js';
import type { TlsMaterial } from '../tls/material.js';
import type { NodeStatusView } from './node-status.js';
import { fetchPeerStatus } from './peer-status-fetch.js';

export type MemberProbe =
  | { readonly name: string; readonly reachable: true; readonly status: NodeStatusView }
  | { readonly name: string; readonly reachable: false; readonly error: string };

export interface MemberProbeOptions {
  readonly members: () => readonly Member[];
  readonly self: Member;
  /** This node's own status (no request to itself). */
  readonly selfStatus: () => NodeStatusView;
  readonly timeoutMs: number;
  readonly reuseMs: number;
  readonly monotonicMs: () => number;
  /** The certificate to present to peers (mutual TLS; it changes on a reload); null: none. */
  readonly peerTls?: () => TlsMaterial | null;
}

export class MemberProber {
  private round: Promise<MemberProbe[]> | null = null;
  private roundAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: MemberProbeOptions) {}

  probe(): Promise<MemberProbe[]> {
    const now = this.opts.monotonicMs();
    if (this.round === null || now - this.roundAtMs > this.opts.reuseMs) {
      this.roundAtMs = now;
      this.round = Promise.all(this.opts.members().map((m) => this.probeOne(m)));
    }
    return this.round;
  }

  private async probeOne(m: Member): Promise<MemberProbe> {
    if (m.id === this.opts.self.id) return { name: m.name, reachable: true, status: this.opts.selfStatus() };
    const answer = await fetchPeerStatus(m.peerUrl, this.opts.peerTls?.() ?? null, this.opts.timeoutMs);
    return answer.ok
      ? { name: m.name, reachable: true, status: answer.status }
      : { name: m.name, reachable: false, error: answer.error };
  }
}
