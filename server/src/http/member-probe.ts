/**
 * Every member's own view (`/v1/status`), fetched over the peer URL, so that any node — a
 * follower too — can show each member's role, term and indexes. The peer URL is what the nodes
 * use to reach each other, so a member this node cannot reach shows as unreachable, which is
 * the truth from here. Concurrent callers share one round, and a round is reused briefly, so the
 * page open in many tabs costs one request per member per `reuseMs`.
 */
import type { Member } from '../node/members.js';
import type { NodeStatusView } from './node-status.js';

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
}

/** A longer /v1/status answer is refused (a real one is a few hundred bytes per member). */
const MAX_STATUS_BYTES = 256 * 1024;

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
    try {
      const res = await fetch(new URL('/v1/status', m.peerUrl), { signal: AbortSignal.timeout(this.opts.timeoutMs) });
      if (!res.ok) return { name: m.name, reachable: false, error: `HTTP ${res.status}` };
      const text = await res.text();
      if (text.length > MAX_STATUS_BYTES) return { name: m.name, reachable: false, error: 'answer too large' };
      const status = JSON.parse(text) as NodeStatusView;
      if (typeof status !== 'object' || status === null || typeof status.term !== 'number') {
        return { name: m.name, reachable: false, error: 'not a status answer' };
      }
      return { name: m.name, reachable: true, status };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why =
        e.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : (e.cause?.code ?? e.message);
      return { name: m.name, reachable: false, error: why };
    }
  }
}
