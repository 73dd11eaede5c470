/**
 * The newest grants, losses, session ends and election changes this node applied, for the status
 * page. Every node applies the same entries, so every node's list agrees from the moment it
 * started (a restarted node lists what it re-applied from its log). Times are this node's wall
 * clock at apply, for display only.
 */
import type { FsmEvent } from '../fsm/index.js';
import type { Clock } from '../node/clock.js';

/** Events kept; the page shows the newest first. */
export const RECENT_EVENTS_MAX = 100;

export type RecentEvent =
  | { kind: 'granted'; index: number; atMs: number; name: string; sessionId: string; token: number; election: boolean }
  | { kind: 'lost'; index: number; atMs: number; name: string; sessionId: string; token: number; reason: string }
  | { kind: 'sessionEnded'; index: number; atMs: number; sessionId: string; reason: string }
  | {
      kind: 'electionChanged';
      index: number;
      atMs: number;
      name: string;
      leader: { sessionId: string; value: string; term: number } | null;
    };

export class RecentEvents {
  private readonly ring: RecentEvent[] = [];

  constructor(private readonly clock: Clock) {}

  record(e: FsmEvent, index: number): void {
    const atMs = this.clock.wallMs();
    let out: RecentEvent | null = null;
    switch (e.kind) {
      case 'granted':
        out = {
          kind: 'granted',
          index,
          atMs,
          name: e.name,
          sessionId: String(e.sessionId),
          token: e.token,
          election: e.election,
        };
        break;
      case 'lost':
        out = {
          kind: 'lost',
          index,
          atMs,
          name: e.name,
          sessionId: String(e.sessionId),
          token: e.token,
          reason: e.reason,
        };
        break;
      case 'sessionEnded':
        out = { kind: 'sessionEnded', index, atMs, sessionId: String(e.sessionId), reason: e.reason };
        break;
      case 'electionChanged':
        out = {
          kind: 'electionChanged',
          index,
          atMs,
          name: e.name,
          leader:
            e.leader === null
              ? null
              : { sessionId: String(e.leader.sessionId), value: e.leader.value, term: e.leader.term },
        };
        break;
      case 'waitEnded':
        return;
    }
    this.ring.push(out);
    if (this.ring.length > RECENT_EVENTS_MAX) this.ring.splice(0, this.ring.length - RECENT_EVENTS_MAX);
  }

  /** Newest first. */
  list(): RecentEvent[] {
    return [...this.ring].reverse();
  }
}
