/**
 * Leadership hand-off: choosing whom to give it to, and waiting (bounded) until they have it.
 * Used by `admin.leader.transfer`, by removing the leader, and by graceful shutdown (DESIGN §7).
 */
import type { Coordinator } from '../node/coordinator.js';
import type { Logger } from '../node/logger.js';
import type { MemberProgress } from '../raft/rawnode.js';
import type { NodeId } from '../raft/types.js';
import { pollUntil } from './poll.js';

export interface HandoffTiming {
  readonly tickMs: number;
  readonly electionTimeoutTicks: number;
}

/** Answered the leader within one election timeout: it is up and connected. */
export function isReachable(p: MemberProgress, electionTimeoutTicks: number): boolean {
  return p.ticksSinceAck <= electionTimeoutTicks;
}

/**
 * Voters other than the leader that are reachable, best first: the most up to date (highest
 * match: TimeoutNow can go at once, and the election it starts wins every vote), then the most
 * recently heard, then the lowest id (a stable choice).
 */
export function rankTransferTargets(
  progress: readonly MemberProgress[],
  leaderId: NodeId,
  electionTimeoutTicks: number,
): NodeId[] {
  return progress
    .filter((p) => p.id !== leaderId && !p.isLearner && isReachable(p, electionTimeoutTicks))
    .sort((a, b) => b.match - a.match || a.ticksSinceAck - b.ticksSinceAck || a.id - b.id)
    .map((p) => p.id);
}

/** Asks the core to hand leadership to `target`; true once this node sees `target` lead. */
export async function transferLeadershipTo(
  coordinator: Coordinator,
  target: NodeId,
  timeoutMs: number,
  timing: HandoffTiming,
): Promise<boolean> {
  const node = coordinator.node;
  node.transferLeadership(target);
  return pollUntil(() => node.leaderId === target, timeoutMs, timing.tickMs);
}

/**
 * Graceful shutdown: if leading, hand leadership to the best live voter and wait up to one
 * election timeout (the core gives a transfer no longer, thesis §3.10); if that voter did not take
 * it, try the next once. Clients then fail over to a leader that already exists, their sessions
 * intact (a new leader renews every session's TTL).
 */
export async function handOffLeadership(
  coordinator: Coordinator,
  timing: HandoffTiming,
  logger: Logger,
): Promise<void> {
  const node = coordinator.node;
  if (!node.isLeader) return;
  const electionMs = timing.tickMs * timing.electionTimeoutTicks;
  const tried: NodeId[] = [];
  for (let attempt = 0; attempt < 2 && node.isLeader; attempt++) {
    const target = rankTransferTargets(node.progress(), node.id, timing.electionTimeoutTicks).find(
      (id) => !tried.includes(id),
    );
    if (target === undefined) break;
    tried.push(target);
    // a transfer that stalls is abandoned by the core after an election timeout: wait that long, plus a tick
    const moved = await transferLeadershipTo(coordinator, target, electionMs + timing.tickMs, timing);
    logger.info({ target, transferred: moved, leader: node.leaderId }, 'leadership hand-off before shutdown');
    if (moved) return;
  }
  if (node.isLeader) logger.warn({ tried }, 'shutting down as leader: no live voter took over');
}
