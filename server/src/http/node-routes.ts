/**
 * The routes one node serves: `/` (status page), `/v1/overview` (its data), `/v1/status`,
 * `/metrics`, `/healthz`, `/readyz`.
 */

import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { Clock } from '../node/clock.js';
import type { Coordinator } from '../node/coordinator.js';
import type { Member } from '../node/members.js';
import type { TlsMaterial } from '../tls/material.js';
import { MemberProber } from './member-probe.js';
import { nodeStatus } from './node-status.js';
import { buildOverview } from './overview.js';
import { Readiness } from './readiness.js';
import { RecentEvents } from './recent-events.js';
import { type HttpRoute, sendJson, sendText } from './routes.js';
import { STATUS_PAGE_HTML } from './status-page.js';

export const STATUS_PATH = '/v1/status';

/**
 * The routes the peer listener (`--peer-listen`) serves besides `/v1/peer`: only `/v1/status`,
 * which members ask of each other over their peer URLs (the status page, removal detection).
 * Behind mutual TLS only holders of a peer certificate reach it.
 */
export function peerListenerRoutes(routes: ReadonlyMap<string, HttpRoute>): Map<string, HttpRoute> {
  const status = routes.get(STATUS_PATH);
  return new Map(status === undefined ? [] : [[STATUS_PATH, status]]);
}

/** A member's /v1/status slower than this shows as unreachable on the page. */
export const MEMBER_STATUS_TIMEOUT_MS = 1_000;
/** Member statuses are fetched at most this often, however many pages poll. */
export const MEMBER_STATUS_REUSE_MS = 250;

export interface NodeRoutesOptions {
  readonly coordinator: Coordinator;
  /** The current members (membership changes at run time). */
  readonly members: () => readonly Member[];
  readonly self: Member;
  readonly metrics: NodeMetrics;
  readonly clock: Clock;
  readonly storageFailed: () => Error | null;
  /** How long a node may take to apply up to the leader's commit index and still be ready. */
  readonly readyCatchUpMs: number;
  /** Why this node was removed from the cluster, or null while it is a member. */
  readonly removed?: () => string | null;
  /** The certificate this node presents to peers (mutual TLS), for the member probes. */
  readonly peerTls?: () => TlsMaterial | null;
  /** Shown in /v1/status. */
  readonly clusterId?: string;
}

export function nodeRoutes(opts: NodeRoutesOptions): Map<string, HttpRoute> {
  const { coordinator, members, self } = opts;
  const recent = new RecentEvents(opts.clock);
  coordinator.onEvent((e, index) => recent.record(e, index));
  const readiness = new Readiness({
    coordinator,
    storageFailed: opts.storageFailed,
    leaderName: (id) => members().find((m) => m.id === id)?.name ?? null,
    catchUpTimeoutMs: opts.readyCatchUpMs,
    ...(opts.removed === undefined ? {} : { removed: opts.removed }),
  });
  const status = () => nodeStatus(coordinator, members(), self, opts.removed?.() ?? null, opts.clusterId ?? null);
  const prober = new MemberProber({
    members,
    self,
    selfStatus: status,
    timeoutMs: MEMBER_STATUS_TIMEOUT_MS,
    reuseMs: MEMBER_STATUS_REUSE_MS,
    monotonicMs: () => opts.clock.monotonicMs(),
    ...(opts.peerTls === undefined ? {} : { peerTls: opts.peerTls }),
  });

  return new Map<string, HttpRoute>([
    ['/healthz', { access: 'public', handle: (_req, res) => sendText(res, 200, 'ok\n') }],
    [
      '/readyz',
      {
        access: 'public',
        handle: async (_req, res) => {
          const answer = await readiness.check();
          sendText(res, answer.ready ? 200 : 503, `${answer.ready ? 'ready' : 'not ready'}: ${answer.detail}\n`);
        },
      },
    ],
    // public like /readyz: indexes, roles and member names only, and the members' status page
    // probes each other with it (they hold no client token); the peer listener serves it too
    [STATUS_PATH, { access: 'public', handle: (_req, res) => sendJson(res, 200, status()) }],
    [
      '/metrics',
      {
        access: 'read',
        handle: async (_req, res) => {
          const body = await opts.metrics.render();
          res.writeHead(200, { 'content-type': opts.metrics.contentType(), 'cache-control': 'no-store' }).end(body);
        },
      },
    ],
    [
      '/v1/overview',
      {
        access: 'read',
        handle: async (_req, res) => {
          const probes = await prober.probe();
          const st = coordinator.node.status();
          const byName = new Map(members().map((m) => [m.name, m]));
          sendJson(
            res,
            200,
            buildOverview({
              servedBy: self.name,
              nowMs: opts.clock.wallMs(),
              fsm: coordinator.fsm,
              appliedIndex: st.appliedIndex,
              probes,
              membership: (name) => {
                const id = byName.get(name)?.id ?? 0;
                if (st.confState.voters.includes(id)) return 'voter';
                return st.confState.learners.includes(id) ? 'learner' : 'not in configuration';
              },
              clientUrl: (name) => byName.get(name)?.clientUrl ?? '',
              recent: recent.list(),
            }),
          );
        },
      },
    ],
    [
      '/',
      {
        // the page itself holds no data; what it shows comes from /v1/overview (read)
        access: 'public',
        handle: (_req, res) => {
          res
            .writeHead(200, {
              'content-type': 'text/html; charset=utf-8',
              'cache-control': 'no-store',
              'x-content-type-options': 'nosniff',
              // the page is self-contained: its own inline script and style, data from this origin only
              'content-security-policy':
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
            })
            .end(STATUS_PAGE_HTML);
        },
      },
    ],
  ]);
}
