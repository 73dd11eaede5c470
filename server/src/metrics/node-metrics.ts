/**
 * One node's Prometheus metrics (prom-client): the default process and Node.js families plus
 * Baton's own `baton_*` families. Gauges are read from the node at scrape time (MetricsSources);
 * counters and histograms are fed by hooks the node calls as things happen. Each node owns its
 * own Registry (not prom-client's global one), so several nodes can live in one process (tests).
 */
import type { ErrorCode } from '@baton/proto-schemas';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RoleName } from '../raft/types.js';
import type { TransportStats } from '../transport/types.js';
import { ACQUIRE_WAIT_BUCKETS_S, FSYNC_BUCKETS_S, PROPOSAL_BUCKETS_S } from './buckets.js';
import { type FsmCounts, HOLD_KINDS, type HoldKind } from './fsm-counts.js';

/** What the metrics read from the node when scraped. */
export interface MetricsSources {
  raft(): {
    readonly term: number;
    readonly role: RoleName;
    readonly leaderKnown: boolean;
    readonly commitIndex: number;
    readonly appliedIndex: number;
    readonly lastIndex: number;
  };
  fsm(): FsmCounts;
  transport(): TransportStats;
  clientConnections(): number;
}

/** How often the event loop delay metrics (nodejs_eventloop_lag_*) take a sample. */
export const EVENT_LOOP_SAMPLE_MS = 100;

export const RAFT_ROLES: readonly RoleName[] = ['follower', 'preCandidate', 'candidate', 'leader'];

type PeerDropReason = 'queueFull' | 'oversize' | 'inFlight' | 'badFrame' | 'misaddressed';

export class NodeMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources | null = null;

  private readonly proposals: Counter<'result'>;
  private readonly proposalSeconds: Histogram;
  private readonly fsyncSeconds: Histogram;
  private readonly walBytes: Counter;
  private readonly leaderChanges: Counter;
  private readonly grants: Counter<'kind'>;
  private readonly holdsLost: Counter<'reason'>;
  private readonly sessionsEnded: Counter<'reason'>;
  private readonly lockDelays: Counter;
  private readonly acquireWaitSeconds: Histogram<'kind'>;
  private readonly rejected: Counter<'code'>;

  constructor(options: { nodeName: string }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: options.nodeName });
    // the event loop delay histogram samples every 100 ms rather than prom-client's 10: its timer
    // was the most frequent wake-up of an idle node (issue 8, workload 6: idle CPU)
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    const src = (): MetricsSources | null => this.sources;

    // ------------------------------------------------------------------ raft (read when scraped)
    new Gauge({
      name: 'baton_raft_term',
      help: 'Current Raft term of this node',
      registers,
      collect() {
        const s = src();
        if (s !== null) this.set(s.raft().term);
      },
    });
    new Gauge({
      name: 'baton_raft_role',
      help: 'Raft role of this node: 1 for the current role, 0 for the others',
      labelNames: ['role'],
      registers,
      collect() {
        const s = src();
        if (s === null) return;
        const role = s.raft().role;
        for (const r of RAFT_ROLES) this.set({ role: r }, r === role ? 1 : 0);
      },
    });
    new Gauge({
      name: 'baton_raft_leader_known',
      help: '1 when this node knows a leader, else 0',
      registers,
      collect() {
        const s = src();
        if (s !== null) this.set(s.raft().leaderKnown ? 1 : 0);
      },
    });
    const indexGauge = (name: string, help: string, pick: (r: ReturnType<MetricsSources['raft']>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = src();
          if (s !== null) this.set(pick(s.raft()));
        },
      });
    indexGauge('baton_raft_commit_index', 'Highest log index this node knows to be committed', (r) => r.commitIndex);
    indexGauge(
      'baton_raft_applied_index',
      'Highest log index applied to the state machine here',
      (r) => r.appliedIndex,
    );
    indexGauge('baton_raft_last_index', 'Last index in this node’s log', (r) => r.lastIndex);
    this.leaderChanges = new Counter({
      name: 'baton_raft_leader_changes_total',
      help: 'Changes of the leader this node knows of (including to no leader)',
      registers,
    });
    this.proposals = new Counter({
      name: 'baton_raft_proposals_total',
      help: 'Entries proposed by this node, by outcome (applied, or failed: refused, overwritten, stopped)',
      labelNames: ['result'],
      registers,
    });
    this.proposalSeconds = new Histogram({
      name: 'baton_raft_proposal_duration_seconds',
      help: 'Time from propose to applied on this node, for applied proposals',
      buckets: [...PROPOSAL_BUCKETS_S],
      registers,
    });

    // ------------------------------------------------------------------ storage
    this.fsyncSeconds = new Histogram({
      name: 'baton_wal_fsync_duration_seconds',
      help: 'Time to make one group-commit batch of the write-ahead log durable (write + fdatasync)',
      buckets: [...FSYNC_BUCKETS_S],
      registers,
    });
    this.walBytes = new Counter({
      name: 'baton_wal_written_bytes_total',
      help: 'Bytes written to the write-ahead log',
      registers,
    });

    // ------------------------------------------------------------------ peers (read when scraped)
    new Gauge({
      name: 'baton_peer_connected',
      help: '1 when the outbound link to the peer is up (handshake done), else 0',
      labelNames: ['peer'],
      registers,
      collect() {
        const s = src();
        if (s === null) return;
        this.reset();
        for (const p of s.transport().peers) this.set({ peer: p.name }, p.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'baton_peer_inbound_links',
      help: 'Authenticated inbound links from the peer (0 or 1)',
      labelNames: ['peer'],
      registers,
      collect() {
        const s = src();
        if (s === null) return;
        this.reset();
        for (const p of s.transport().peers) this.set({ peer: p.name }, p.inboundLinks);
      },
    });
    new Gauge({
      name: 'baton_peer_queued_messages',
      help: 'Messages queued for the peer, not yet written to its link',
      labelNames: ['peer'],
      registers,
      collect() {
        const s = src();
        if (s === null) return;
        this.reset();
        for (const p of s.transport().peers) this.set({ peer: p.name }, p.queuedMessages);
      },
    });
    const peerTotal = (name: string, help: string, pick: (p: TransportStats['peers'][number]) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['peer'],
        registers,
        collect() {
          const s = src();
          if (s === null) return;
          // the transport keeps the running totals; the counter mirrors them
          this.reset();
          for (const p of s.transport().peers) this.inc({ peer: p.name }, pick(p));
        },
      });
    peerTotal('baton_peer_sent_bytes_total', 'Bytes sent to the peer', (p) => p.sentBytes);
    peerTotal('baton_peer_received_bytes_total', 'Bytes received from the peer', (p) => p.receivedBytes);
    peerTotal('baton_peer_connect_failures_total', 'Failed outbound connection attempts', (p) => p.connectFailures);
    new Counter({
      name: 'baton_peer_dropped_messages_total',
      help: 'Messages to or from the peer that were dropped, by reason',
      labelNames: ['peer', 'reason'],
      registers,
      collect() {
        const s = src();
        if (s === null) return;
        this.reset();
        for (const p of s.transport().peers) {
          const drops: Record<PeerDropReason, number> = {
            queueFull: p.droppedQueueFull,
            oversize: p.droppedOversize,
            inFlight: p.droppedInFlight,
            badFrame: p.badFrames,
            misaddressed: p.droppedMisaddressed,
          };
          for (const [reason, n] of Object.entries(drops)) this.inc({ peer: p.name, reason }, n);
        }
      },
    });

    // ------------------------------------------------------------------ coordination state
    new Gauge({
      name: 'baton_sessions',
      help: 'Open sessions (this node’s replica of the state machine)',
      registers,
      collect() {
        const s = src();
        if (s !== null) this.set(s.fsm().sessions);
      },
    });
    new Gauge({
      name: 'baton_locks_held',
      help: 'Holds by kind: lock and semaphore holders, election leaders',
      labelNames: ['kind'],
      registers,
      collect() {
        const s = src();
        if (s === null) return;
        const c = s.fsm();
        for (const k of HOLD_KINDS) this.set({ kind: k }, c.holds[k]);
      },
    });
    new Gauge({
      name: 'baton_lock_waiters',
      help: 'Queued acquires (lock, semaphore) and candidates (election) by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        const s = src();
        if (s === null) return;
        const c = s.fsm();
        for (const k of HOLD_KINDS) this.set({ kind: k }, c.waiters[k]);
      },
    });
    new Gauge({
      name: 'baton_lock_delays_pending',
      help: 'Slots held back by a lock-delay after their holder’s session expired',
      registers,
      collect() {
        const s = src();
        if (s !== null) this.set(s.fsm().pendingLockDelays);
      },
    });
    this.grants = new Counter({
      name: 'baton_grants_total',
      help: 'Grants applied on this node, by kind (each is a fencing token)',
      labelNames: ['kind'],
      registers,
    });
    this.holdsLost = new Counter({
      name: 'baton_holds_lost_total',
      help: 'Holds taken away (not released by their holder), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.sessionsEnded = new Counter({
      name: 'baton_sessions_ended_total',
      help: 'Sessions ended, by reason: expired (TTL ran out) or closed',
      labelNames: ['reason'],
      registers,
    });
    this.lockDelays = new Counter({
      name: 'baton_lock_delays_total',
      help: 'Lock-delays started (a hold with lockDelayMs lost by session expiry)',
      registers,
    });
    this.acquireWaitSeconds = new Histogram({
      name: 'baton_lock_acquire_wait_seconds',
      help: 'Time a queued acquire (lock, semaphore) or campaign (election) waited for its grant, on the node serving it',
      labelNames: ['kind'],
      buckets: [...ACQUIRE_WAIT_BUCKETS_S],
      registers,
    });

    // ------------------------------------------------------------------ clients
    new Gauge({
      name: 'baton_client_connections',
      help: 'Open client WebSocket connections on this node',
      registers,
      collect() {
        const s = src();
        if (s !== null) this.set(s.clientConnections());
      },
    });
    this.rejected = new Counter({
      name: 'baton_client_rejected_requests_total',
      help: 'Error answers sent to clients, by error code',
      labelNames: ['code'],
      registers,
    });
    // start the known label sets at 0 so rate() and absence alerts work from the first scrape
    for (const result of ['applied', 'failed']) this.proposals.inc({ result }, 0);
    for (const kind of HOLD_KINDS) this.grants.inc({ kind }, 0);
    for (const reason of ['expired', 'closed', 'revoked']) this.holdsLost.inc({ reason }, 0);
    for (const reason of ['expired', 'closed']) this.sessionsEnded.inc({ reason }, 0);
  }

  /** Connects the scrape-time gauges to the node (before that they report nothing). */
  setSources(sources: MetricsSources): void {
    this.sources = sources;
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  // ------------------------------------------------------------------ hooks

  fsyncDone(durationMs: number, bytes: number): void {
    this.fsyncSeconds.observe(durationMs / 1000);
    this.walBytes.inc(bytes);
  }

  proposalDone(durationMs: number, applied: boolean): void {
    this.proposals.inc({ result: applied ? 'applied' : 'failed' });
    if (applied) this.proposalSeconds.observe(durationMs / 1000);
  }

  leaderChanged(): void {
    this.leaderChanges.inc();
  }

  granted(kind: HoldKind): void {
    this.grants.inc({ kind });
  }

  holdLost(reason: 'expired' | 'closed' | 'revoked'): void {
    this.holdsLost.inc({ reason });
  }

  sessionEnded(reason: 'expired' | 'closed'): void {
    this.sessionsEnded.inc({ reason });
  }

  lockDelayStarted(): void {
    this.lockDelays.inc();
  }

  waitGranted(waitedMs: number, election: boolean): void {
    this.acquireWaitSeconds.observe({ kind: election ? 'election' : 'lock' }, waitedMs / 1000);
  }

  requestRejected(code: ErrorCode): void {
    this.rejected.inc({ code });
  }
}
