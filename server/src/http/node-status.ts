/** `/v1/status`: this node's own view (not linearizable), for humans, scripts, `npm start` and the status page. */
import type { Coordinator } from '../node/coordinator.js';
import type { Member } from '../node/members.js';

export interface NodeStatusView {
  readonly name: string;
  readonly role: string;
  readonly leader: string | null;
  readonly leaderClientUrl: string | null;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly members: readonly { readonly name: string; readonly clientUrl: string; readonly role: string }[];
  /** Why this node is no longer a member (admin/removal.ts); absent while it is one. */
  readonly removed?: string;
  /** `--cluster-id`: a member only believes what members of its own cluster say (admin/removal.ts). */
  readonly clusterId?: string;
}

export function nodeStatus(
  coordinator: Coordinator,
  members: readonly Member[],
  self: Member,
  removed: string | null = null,
  clusterId: string | null = null,
): NodeStatusView {
  const st = coordinator.node.status();
  const leader = members.find((m) => m.id === st.softState.lead);
  return {
    name: self.name,
    role: st.softState.role,
    leader: leader?.name ?? null,
    leaderClientUrl: leader?.clientUrl ?? null,
    term: st.hardState.term,
    commitIndex: st.hardState.commit,
    appliedIndex: st.appliedIndex,
    lastIndex: st.lastIndex,
    members: members.map((m) => ({
      name: m.name,
      clientUrl: m.clientUrl,
      role: st.confState.learners.includes(m.id) ? 'learner' : 'voter',
    })),
    ...(removed === null ? {} : { removed }),
    ...(clusterId === null ? {} : { clusterId }),
  };
}
