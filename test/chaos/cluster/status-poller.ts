/**
 * Polls every running node's /v1/status and keeps, for the timeline and the checks, each node's
 * role/term/leader whenever it changes, and which node claimed leadership of each term — two
 * nodes leading one term would break Raft's election safety (checked in checks/).
 */
import type { ChaosCluster } from './chaos-cluster.js';
import type { NodeStatusView } from './status.js';

/** A status answer worth keeping: the first from a node, or one whose role/term/leader changed. */
export interface StatusSample {
  readonly atMs: number;
  readonly node: string;
  readonly role: string;
  readonly term: number;
  readonly leader: string | null;
}

export const STATUS_POLL_INTERVAL_MS = 200;
export const STATUS_TIMEOUT_MS = 300;

export class StatusPoller {
  readonly samples: StatusSample[] = [];
  /** term → nodes that said they lead it. */
  readonly leadersByTerm = new Map<number, Set<string>>();
  private readonly last = new Map<string, StatusSample>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly now: () => number,
  ) {}

  start(): void {
    const loop = (): void => {
      if (this.stopped) return;
      this.inFlight = this.pollOnce().then(() => {
        this.inFlight = null;
        if (!this.stopped) this.timer = setTimeout(loop, STATUS_POLL_INTERVAL_MS);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.inFlight;
  }

  /** One round over the running nodes; returns their answers (null = no answer). */
  async pollOnce(): Promise<Map<string, NodeStatusView | null>> {
    const names = this.cluster.live;
    const answers = await Promise.all(names.map((n) => this.cluster.status(n, STATUS_TIMEOUT_MS)));
    const out = new Map<string, NodeStatusView | null>();
    names.forEach((n, i) => {
      const st = answers[i] ?? null;
      out.set(n, st);
      if (st !== null) this.note(n, st);
    });
    return out;
  }

  /** The leader every running node names, if that node says it leads; else null. */
  async agreedLeader(): Promise<string | null> {
    const answers = await this.pollOnce();
    if (answers.size === 0) return null;
    const views = [...answers.values()];
    if (views.some((v) => v === null)) return null;
    const leaders = new Set(views.map((v) => v?.leader ?? null));
    if (leaders.size !== 1) return null;
    const leader = [...leaders][0] ?? null;
    if (leader === null) return null;
    return answers.get(leader)?.role === 'leader' ? leader : null;
  }

  /** The node that most recently said it leads (highest term), or null. */
  latestLeader(): string | null {
    let best: StatusSample | null = null;
    for (const s of this.last.values()) {
      if (s.role === 'leader' && this.cluster.state(s.node) === 'running' && (best === null || s.term > best.term)) {
        best = s;
      }
    }
    return best?.node ?? null;
  }

  private note(node: string, st: NodeStatusView): void {
    const prev = this.last.get(node);
    if (st.role === 'leader') {
      let set = this.leadersByTerm.get(st.term);
      if (set === undefined) {
        set = new Set();
        this.leadersByTerm.set(st.term, set);
      }
      set.add(node);
    }
    if (prev !== undefined && prev.role === st.role && prev.term === st.term && prev.leader === st.leader) return;
    const sample: StatusSample = { atMs: this.now(), node, role: st.role, term: st.term, leader: st.leader };
    this.samples.push(sample);
    this.last.set(node, sample);
  }
}
