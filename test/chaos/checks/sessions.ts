/**
 * No acknowledged session is lost: the server may say a session is gone only after its expiry
 * bound — the send time of its newest acknowledged keepalive (or of its open) plus the TTL —
 * unless its owner had already asked to close it (then a SESSION_EXPIRED answer may mean "closed"). An earlier SESSION_EXPIRED means an
 * acknowledged open or keepalive did not count (lost in a crash, or a leader without a valid
 * lease answered it).
 */
import type { SessionReport } from '../worker/protocol.js';
import type { Violation } from './run-data.js';

export function checkSessions(sessions: readonly SessionReport[]): {
  violations: Violation[];
  expiredByServer: number;
} {
  const violations: Violation[] = [];
  let expiredByServer = 0;
  for (const s of sessions) {
    // after its owner asked to close it, a SESSION_EXPIRED answer may mean "closed" (an expiry
    // event may not: the server sends it for expiries only)
    if (s.serverExpiredMs === null) continue;
    if (s.expiryEvidence === 'answer' && s.closeSentMs !== null && s.closeSentMs <= s.serverExpiredMs) continue;
    expiredByServer++;
    const bound = s.expiryBoundAtServerExpiryMs ?? s.expiryBoundMs;
    if (s.serverExpiredMs < bound) {
      violations.push({
        check: 'sessions',
        message: `session ${s.session} (${s.client}) was reported expired at ${s.serverExpiredMs}, ${round(bound - s.serverExpiredMs)} ms before it could expire (last acknowledged keepalive send + TTL = ${bound})`,
        atMs: s.serverExpiredMs,
      });
    }
  }
  return { violations, expiredByServer };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
