/**
 * Wires a node's parts to its metrics: scrape-time sources, the coordinator's proposal and event
 * listeners, and the client API's observer. The WAL's hook is passed when storage opens (it exists
 * before the coordinator), see `NodeMetrics.fsyncDone`.
 */
import type { ApiObserver } from '../api/observer.js';
import type { FsmEvent } from '../fsm/index.js';
import type { Coordinator } from '../node/coordinator.js';
import type { Transport } from '../transport/types.js';
import { countFsm, holdKind } from './fsm-counts.js';
import type { NodeMetrics } from './node-metrics.js';

export function bindNodeMetrics(
  metrics: NodeMetrics,
  parts: { coordinator: Coordinator; transport: Pick<Transport, 'stats'>; clientConnections: () => number },
): void {
  const { coordinator } = parts;
  metrics.setSources({
    raft: () => {
      const st = coordinator.node.status();
      return {
        term: st.hardState.term,
        role: st.softState.role,
        leaderKnown: st.softState.lead !== 0,
        commitIndex: st.hardState.commit,
        appliedIndex: st.appliedIndex,
        lastIndex: st.lastIndex,
      };
    },
    fsm: () => countFsm(coordinator.fsm),
    transport: () => parts.transport.stats(),
    clientConnections: parts.clientConnections,
  });
  coordinator.onProposalDone((durationMs, applied) => metrics.proposalDone(durationMs, applied));
  let leader = coordinator.leaderId;
  coordinator.onLeaderChange((s) => {
    if (s.lead === leader) return;
    leader = s.lead;
    metrics.leaderChanged();
  });
  coordinator.onEvent((e, index) => countEvent(metrics, coordinator, e, index));
}

/** The observer the client API reports to. */
export function apiObserver(metrics: NodeMetrics): ApiObserver {
  return {
    rejected: (code) => metrics.requestRejected(code),
    waitGranted: (waitedMs, election) => metrics.waitGranted(waitedMs, election),
  };
}

function countEvent(metrics: NodeMetrics, coordinator: Coordinator, e: FsmEvent, index: number): void {
  switch (e.kind) {
    case 'granted': {
      const name = coordinator.fsm.internalState().names.get(e.name);
      metrics.granted(e.election ? 'election' : holdKind('lock', name?.limit ?? 1));
      return;
    }
    case 'lost': {
      metrics.holdLost(e.reason);
      // an expiry with lockDelayMs leaves the slot reserved by the expiring entry itself
      if (e.reason !== 'expired') return;
      const name = coordinator.fsm.internalState().names.get(e.name);
      if (name?.reservations.some((r) => r.sinceIndex === index)) metrics.lockDelayStarted();
      return;
    }
    case 'sessionEnded':
      metrics.sessionEnded(e.reason);
      return;
    case 'electionChanged':
    case 'waitEnded':
      return;
  }
}
