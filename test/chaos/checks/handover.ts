/**
 * The central promise, measured: whenever an exclusive name (a lock or an election) is granted,
 * its previous holder had already stopped trusting its hold — it released, or its `signal` fired
 * (lost session, revoked) — or it was paused (SIGSTOP) or stalled (could not run its timers:
 * starved of CPU, a long GC) when the grant came, so it could not know,
 * and then the grant came no earlier than the server could expire that holder's session (its
 * last acknowledged keepalive's send time plus the TTL). A running, connected, unwarned holder at
 * the moment of a grant is a violation.
 *
 * Reported: the closest approach — how long before the next grant a holder that LOST its lock
 * was told, counting only grants that its session's expiry (or a revocation) made possible: when
 * the SDK closed the lost session itself and that close freed the lock, the margin is just the
 * close's round trip; when the holder was paused, its signal fired on waking. The same for released holds (always tiny: a release hands the lock
 * straight to the next waiter). The grant's moment is taken as its answer's arrival, a little
 * after the server granted: the check is exact about the holder's side.
 */
import type { HoldReport, SessionReport } from '../worker/protocol.js';
import type { PauseInterval } from '../workload/worker-pool.js';
import { type Violation, workerOfClient } from './run-data.js';

/**
 * After SIGCONT a process needs a moment to run its overdue timers (the SDK's loss timer among
 * them): a signal fired this soon after a pause ended counts as "fired when it woke up".
 */
export const RESUME_SLACK_MS = 1_000;

export interface HandoverResult {
  readonly violations: Violation[];
  /** Grants checked (each with a previous holder). */
  readonly handovers: number;
  /** Closest approach after a lost hold (ms, ≥ 0 is safe), with what it was; null if none. */
  readonly closestLost: { ms: number; what: string } | null;
  readonly closestReleased: { ms: number; what: string } | null;
  /** Handovers whose previous holder was paused at the time (excused, bound checked). */
  readonly pausedHandovers: number;
}

export function checkHandover(
  holds: readonly HoldReport[],
  sessions: readonly SessionReport[],
  pauses: ReadonlyMap<number, readonly PauseInterval[]>,
  exclusiveNames: readonly string[],
): HandoverResult {
  const sessionById = new Map(sessions.map((s) => [s.session, s]));
  const violations: Violation[] = [];
  let closestLost: { ms: number; what: string } | null = null;
  let closestReleased: { ms: number; what: string } | null = null;
  let handovers = 0;
  let pausedHandovers = 0;
  for (const name of exclusiveNames) {
    const list = mergeReadoptions(holds.filter((h) => h.name === name)).sort((a, b) => a.token - b.token);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const next = list[i]!;
      handovers++;
      const endedMs = prev.endedMs ?? Number.POSITIVE_INFINITY;
      const approach = next.grantedMs - endedMs;
      const what = `${name}: ${prev.client} (session ${prev.session}, token ${prev.token}, ${prev.endReason ?? 'never ended'}) -> ${next.client} (token ${next.token}) at ${next.grantedMs}`;
      if (approach >= 0) {
        const closedFirst = closedBefore(sessionById.get(prev.session), next.grantedMs);
        // a signal that fired on waking from a pause measures the pause, not the SDK's margin
        const woke = pausedAt(pauses, prev.client, endedMs, endedMs) !== null;
        if (prev.endReason === 'CLOSED') {
          if (closestReleased === null || approach < closestReleased.ms) closestReleased = { ms: approach, what };
        } else if (!closedFirst && !woke && (closestLost === null || approach < closestLost.ms)) {
          closestLost = { ms: approach, what };
        }
        continue;
      }
      const pause = pausedAt(pauses, prev.client, next.grantedMs, endedMs);
      if (pause === null) {
        violations.push({
          check: 'handover',
          message: `${what}: the previous holder was running and still trusted its hold (its signal fired ${-approach} ms after the grant)`,
          atMs: next.grantedMs,
        });
        continue;
      }
      pausedHandovers++;
      const s = sessionById.get(prev.session);
      const bound = s === undefined ? null : (s.expiryBoundAtServerExpiryMs ?? s.expiryBoundMs);
      if (bound !== null && next.grantedMs < bound) {
        violations.push({
          check: 'handover',
          message: `${what}: granted while the previous holder was paused, ${bound - next.grantedMs} ms before its session could have expired (bound ${bound})`,
          atMs: next.grantedMs,
        });
      }
    }
  }
  return { violations, handovers, closestLost, closestReleased, pausedHandovers };
}

/** Whether the session's own close was acknowledged and sent before `ms` (it may have freed the hold). */
function closedBefore(session: SessionReport | undefined, ms: number): boolean {
  return session?.closedOk === true && session.closeSentMs !== null && session.closeSentMs < ms;
}

/** A session asking again for what it holds gets the same hold back: one hold, the latest end. */
function mergeReadoptions(holds: readonly HoldReport[]): HoldReport[] {
  const byKey = new Map<string, HoldReport>();
  for (const h of holds) {
    const key = `${h.session}/${h.token}`;
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, h);
      continue;
    }
    const end = (x: HoldReport): number => x.endedMs ?? Number.POSITIVE_INFINITY;
    byKey.set(key, {
      ...seen,
      grantedMs: Math.min(seen.grantedMs, h.grantedMs),
      endedMs: end(h) > end(seen) ? h.endedMs : seen.endedMs,
      endReason: end(h) > end(seen) ? h.endReason : seen.endReason,
    });
  }
  return [...byKey.values()];
}

/** The holder's pause that covers the grant and explains the late signal, or null. */
function pausedAt(
  pauses: ReadonlyMap<number, readonly PauseInterval[]>,
  client: string,
  grantMs: number,
  signalMs: number,
): PauseInterval | null {
  const worker = workerOfClient(client);
  if (worker === null) return null;
  for (const p of pauses.get(worker) ?? []) {
    const end = p.endMs ?? Number.POSITIVE_INFINITY;
    if (p.startMs <= grantMs && signalMs <= end + RESUME_SLACK_MS) return p;
  }
  return null;
}
