import type { NodeId, RaftFactory, ReadOnlyOption } from '@baton/server/raft';
import { Violation } from './checks.js';
import { Cluster, ELECTION_MS, type SimNode } from './cluster.js';
import { SimRng } from './rng.js';

export type SimMode = 'safety' | 'liveness';

export interface RunOptions {
  readonly seed: number;
  readonly mode: SimMode;
  readonly nodes: number;
  /** Simulated milliseconds of faults (the liveness mode's heal phase comes after). */
  readonly durationMs: number;
  /** Upper bound on events, so that no run can go on forever. */
  readonly maxSteps: number;
  readonly factory?: RaftFactory;
  /** Forces the read mode; by default the seed chooses. */
  readonly readOnlyOption?: ReadOnlyOption;
  /** Trace lines to return on success too (a failure always returns its last steps). */
  readonly traceLines?: number;
  /** Persists take simulated time and RawNode.takeEarly() runs meanwhile (ClusterOptions.asyncPersist). */
  readonly asyncPersist?: boolean;
}

/** The longest simulated fsync of asyncPersist runs: several network delays, a fraction of a tick. */
export const ASYNC_MAX_FSYNC_MS = 12;

export interface RunResult {
  readonly seed: number;
  readonly mode: SimMode;
  readonly ok: boolean;
  readonly violation?: string;
  readonly trace: string[];
  readonly stats: Record<string, number>;
}

export const DEFAULT_DURATION_MS = 60_000;
export const DEFAULT_MAX_STEPS = 2_000_000;

/** The one-line command that replays a run. */
export function replayCommand(o: RunOptions): string {
  return `npm run sim -- --seed ${o.seed} --mode ${o.mode} --nodes ${o.nodes} --duration ${o.durationMs}${
    o.readOnlyOption ? ` --read ${o.readOnlyOption}` : ''
  }${o.asyncPersist ? ' --async-persist' : ''} --trace`;
}

/** Jepsen/VOPR partition shapes over the running members; returns the set of cut directed links. */
export function partitionShape(rng: SimRng, ids: NodeId[], leader: NodeId | null): { name: string; cut: Set<string> } {
  const cut = new Set<string>();
  const sever = (a: NodeId, b: NodeId) => {
    cut.add(`${a}>${b}`);
    cut.add(`${b}>${a}`);
  };
  const shuffled = rng.shuffle(ids);
  const shape = rng.pick(['isolate', 'isolateLeader', 'majority', 'bridge', 'ring', 'oneWay', 'oneWayLeader'] as const);
  switch (shape) {
    case 'isolate':
    case 'isolateLeader': {
      const victim = shape === 'isolateLeader' && leader !== null ? leader : (shuffled[0] as NodeId);
      for (const o of ids) if (o !== victim) sever(victim, o);
      return { name: `${shape} n${victim}`, cut };
    }
    case 'majority': {
      const k = Math.floor(ids.length / 2);
      const minority = shuffled.slice(0, k);
      const majority = shuffled.slice(k);
      for (const a of minority) for (const b of majority) sever(a, b);
      return { name: `majority ${fmt(majority)} | ${fmt(minority)}`, cut };
    }
    case 'bridge': {
      // two halves that both see one bridge node (Jepsen's bridge)
      const bridge = shuffled[0] as NodeId;
      const rest = shuffled.slice(1);
      const half = Math.floor(rest.length / 2);
      const a = rest.slice(0, half);
      const b = rest.slice(half);
      for (const x of a) for (const y of b) sever(x, y);
      return { name: `bridge n${bridge}: ${fmt(a)} | ${fmt(b)}`, cut };
    }
    case 'ring': {
      // majorities ring: each node sees only its neighbours on a ring
      const n = shuffled.length;
      const reach = Math.floor(n / 2);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const d = Math.min((i - j + n) % n, (j - i + n) % n);
          if (d > reach / 2 && d !== 0 && n > 3) cut.add(`${shuffled[i]}>${shuffled[j]}`);
        }
      }
      if (n === 3) sever(shuffled[0] as NodeId, shuffled[1] as NodeId);
      return { name: `ring ${fmt(shuffled)}`, cut };
    }
    case 'oneWay':
    case 'oneWayLeader': {
      // one node can send but not receive (or the reverse)
      const victim = shape === 'oneWayLeader' && leader !== null ? leader : (shuffled[0] as NodeId);
      const inbound = rng.chance(0.5);
      for (const o of ids) if (o !== victim) cut.add(inbound ? `${o}>${victim}` : `${victim}>${o}`);
      return { name: `${shape} n${victim} ${inbound ? 'deaf' : 'mute'}`, cut };
    }
  }
}

function fmt(ids: NodeId[]): string {
  return `{${ids.join(',')}}`;
}

/**
 * The nemesis: picks a fault now and then. Everything it does is drawn from its own rng.
 */
export class Nemesis {
  private membershipChanges = 0;

  constructor(
    private readonly c: Cluster,
    private readonly rng: SimRng,
    private readonly baseNodes: number,
  ) {
    c.onConfChange = (cc) => {
      if (cc.type === 'removeNode') this.pendingRetire.add(cc.nodeId);
    };
  }

  readonly pendingRetire = new Set<NodeId>();

  act(): void {
    const c = this.c;
    const rng = this.rng;
    // retire nodes whose removal has been applied somewhere (it is committed)
    for (const id of this.pendingRetire) c.retire(id);
    this.pendingRetire.clear();

    const live = [...c.nodes.values()].filter((n) => n.state !== 'removed').map((n) => n.id);
    const leader = c.leader();
    const roll = rng.float();
    if (roll < 0.18) {
      const p = partitionShape(rng, live, leader?.id ?? null);
      c.faults.cut.clear();
      for (const l of p.cut) c.faults.cut.add(l);
      c.log(`NEMESIS partition ${p.name}`);
    } else if (roll < 0.36) {
      c.faults.cut.clear();
      c.faults.lossRate = 0;
      c.faults.spikeRate = 0;
      c.faults.duplicateRate = 0;
      c.log('NEMESIS heal');
    } else if (roll < 0.46) {
      const victim = rng.chance(0.4) && leader ? leader.id : rng.pick(live);
      if (rng.chance(0.3)) {
        const n = c.nodes.get(victim);
        if (n?.running) {
          n.crashInNextReady = true;
          c.log(`NEMESIS n${victim} will crash in its next Ready`);
        }
      } else c.crash(victim);
    } else if (roll < 0.58) {
      for (const n of c.nodes.values()) if (n.state === 'crashed' && rng.chance(0.7)) c.restart(n.id);
    } else if (roll < 0.64) {
      // pauses as long as several election timeouts (a GC pause, a SIGSTOP)
      const victim = rng.chance(0.4) && leader ? leader.id : rng.pick(live);
      c.pause(victim, rng.float() * 4 * ELECTION_MS);
    } else if (roll < 0.66) {
      c.newLeaderCrashChance = rng.pick([0, 0.3, 0.8]);
      c.leaderCommitCrashChance = rng.pick([0, 0, 0.01, 0.05]);
      c.log(
        `NEMESIS leaders crash soon after election with chance ${c.newLeaderCrashChance}, ` +
          `on advancing their commit index with chance ${c.leaderCommitCrashChance}`,
      );
    } else if (roll < 0.72) {
      this.figure8();
    } else if (roll < 0.75) {
      // leader churn: the shape of the Raft paper's figure 8 (leaders die having replicated to a few)
      c.churnUntil = c.now + 2000 + rng.float() * 6000;
      c.log(`NEMESIS leader churn until ${(c.churnUntil / 1000).toFixed(3)}s`);
    } else if (roll < 0.78) {
      c.faults.lossRate = rng.pick([0, 0.01, 0.05, 0.2]);
      c.faults.duplicateRate = rng.pick([0, 0.02, 0.1]);
      c.faults.spikeRate = rng.pick([0, 0.01, 0.1]);
      c.faults.spikeMs = rng.pick([50, 500, 3 * ELECTION_MS]);
      c.log(
        `NEMESIS network loss=${c.faults.lossRate} dup=${c.faults.duplicateRate} spikes=${c.faults.spikeRate}x${c.faults.spikeMs}ms`,
      );
    } else if (roll < 0.82) {
      if (leader) {
        const voters = c.latestConfig().voters.filter((v) => v !== leader.id);
        if (voters.length > 0) c.transfer(leader.id, rng.pick(voters));
      }
    } else if (roll < 0.9) {
      this.changeMembership(leader);
    } else {
      // a node whose clock stalls for a moment (irregular ticks), then catches up
      const victim = rng.pick(live);
      c.pause(victim, rng.float() * ELECTION_MS * 0.5);
    }
  }

  /**
   * An adversarial schedule in the shape of the Raft paper's figure 8, with random timing: the
   * leader L is cut off and takes a few proposals only it has, then crashes; the next leader X
   * crashes right after persisting its first entry, having told no one; L comes back, wins, and
   * crashes the moment it advances its commit index; then X comes back. A core that commits
   * L's old-term entries by counting lets X overwrite them.
   */
  private figure8(): void {
    const c = this.c;
    const rng = this.rng;
    const L = c.leader();
    if (!L || this.figure8Running) return;
    this.figure8Running = true;
    c.log(`NEMESIS figure 8 around n${L.id}`);
    const others = [...c.nodes.values()].filter((n) => n.state !== 'removed' && n.id !== L.id).map((n) => n.id);
    c.faults.cut.clear();
    for (const o of others) {
      c.faults.cut.add(`${L.id}>${o}`);
      c.faults.cut.add(`${o}>${L.id}`);
    }
    const k = rng.nextInt(3, 12);
    for (let i = 0; i < k; i++) c.propose(L.id);
    c.silentCrashOnLeadership = true;
    c.at(c.now + 1 + rng.float() * 50, () => c.crash(L.id));
    const deadline = c.now + 6 * ELECTION_MS;
    // wait until the next leader has crashed silently, then bring L back with a commit-crash armed
    const waitForX = (): void => {
      if (c.now > deadline) {
        this.endFigure8();
        return;
      }
      if (c.silentCrashOnLeadership) {
        c.at(c.now + 20, waitForX);
        return;
      }
      const x = [...c.nodes.values()].find((n) => n.state === 'crashed' && n.id !== L.id);
      c.faults.cut.clear();
      if (x) {
        for (const o of c.nodes.keys()) {
          if (o === x.id) continue;
          c.faults.cut.add(`${x.id}>${o}`);
          c.faults.cut.add(`${o}>${x.id}`);
        }
      }
      c.commitCrashNode = L.id;
      c.restart(L.id);
      c.at(c.now + 20, () => waitForL(x?.id ?? 0));
    };
    const waitForL = (x: NodeId): void => {
      if (c.now > deadline || c.commitCrashNode === 0) {
        c.commitCrashNode = 0;
        c.faults.cut.clear();
        if (x !== 0) c.restart(x);
        this.endFigure8();
        return;
      }
      c.at(c.now + 20, () => waitForL(x));
    };
    c.at(c.now + 60, waitForX);
  }

  private figure8Running = false;

  private endFigure8(): void {
    this.c.silentCrashOnLeadership = false;
    this.c.commitCrashNode = 0;
    this.figure8Running = false;
    this.c.log('NEMESIS figure 8 over');
  }

  private changeMembership(leader: SimNode | null): void {
    const c = this.c;
    if (!leader || this.membershipChanges >= 6) return;
    const { voters, learners } = c.latestConfig();
    const rng = this.rng;
    let ok = false;
    if (learners.length > 0) {
      ok = c.proposeConfChange(leader.id, { type: 'addVoter', nodeId: learners[0] as NodeId });
    } else if (voters.length < this.baseNodes + 1 && rng.chance(0.6)) {
      const n = c.addBlankNode();
      ok = c.proposeConfChange(leader.id, { type: 'addLearner', nodeId: n.id });
      if (!ok) c.retire(n.id);
    } else if (voters.length >= 3) {
      ok = c.proposeConfChange(leader.id, { type: 'removeNode', nodeId: rng.pick(voters) });
    }
    if (ok) this.membershipChanges++;
  }
}

/**
 * Client load: a client talks to a random node and follows that node's idea of the leader, as
 * the SDK follows NOT_LEADER hints. A leader cut off from the cluster therefore keeps receiving
 * proposals until CheckQuorum deposes it, leaving uncommitted suffixes for later leaders to
 * overwrite (the raw material of the Raft paper's figure 8).
 */
function clientOp(c: Cluster, rng: SimRng): void {
  const running = c.running().filter((n) => !c.isPaused(n));
  if (running.length === 0) return;
  const first = rng.pick(running);
  const hint = first.raw?.raft.lead ?? 0;
  const hinted = hint !== 0 ? c.nodes.get(hint) : undefined;
  const target = hinted?.running && !c.isPaused(hinted) ? hinted : first;
  if (rng.chance(0.7)) c.propose(target.id);
  else c.read(target.id);
}

export function runSeed(o: RunOptions): RunResult {
  const rng = new SimRng(o.seed);
  const readOnlyOption = o.readOnlyOption ?? (rng.chance(0.5) ? 'lease' : 'safe');
  const c = new Cluster(rng.fork(), {
    nodes: o.nodes,
    readOnlyOption,
    maxSizePerMsgBytes: rng.pick([1, 128, 512, 4096]),
    maxInflightMsgs: rng.pick([1, 4, 16]),
    factory: o.factory,
    // its own rng (forked only when asked for), so the other runs draw exactly what they did
    ...(o.asyncPersist ? { asyncPersist: { rng: rng.fork(), maxFsyncMs: ASYNC_MAX_FSYNC_MS } } : {}),
  });
  const nemesis = new Nemesis(c, rng.fork(), o.nodes);
  const clientRng = rng.fork();
  const stats = (): Record<string, number> => ({
    ...c.stats,
    events: c.events,
    simulatedMs: Math.round(c.now),
    acked: c.acked,
    readsServed: c.readsServed,
    committed: c.checker.maxCommitted,
  });
  try {
    // fault phase: client load every ~20ms, a nemesis action every 0.2–3 s
    let nextNemesis = 500 + rng.float() * 2000;
    let nextClient = 0;
    while (c.now < o.durationMs) {
      if (c.events > o.maxSteps) break;
      const until = Math.min(nextNemesis, nextClient, o.durationMs);
      c.runUntil(until);
      if (c.now >= nextClient) {
        clientOp(c, clientRng);
        nextClient = c.now + 5 + clientRng.float() * 30;
        c.expireReads(5 * ELECTION_MS);
      }
      if (c.now >= nextNemesis) {
        nemesis.act();
        nextNemesis = c.now + 200 + rng.float() * 2800;
      }
    }
    if (o.mode === 'liveness') {
      const l = checkLiveness(c, rng.fork(), nemesis.pendingRetire);
      c.stats.electedAfterMs = Math.round(l.electedAfterMs);
      c.stats.electedAfterFreeMs = Math.round(l.electedAfterFreeMs);
      c.stats.electionsAfterHeal = l.elections;
    }
    return { seed: o.seed, mode: o.mode, ok: true, trace: c.lastTrace(o.traceLines ?? 0), stats: stats() };
  } catch (err) {
    if (!(err instanceof Violation)) {
      // a crash of the core (a broken invariant assertion) is a finding too
      const e = err as Error;
      return {
        seed: o.seed,
        mode: o.mode,
        ok: false,
        violation: `core threw: ${e.stack ?? e.message}`,
        trace: c.lastTrace(Math.max(60, o.traceLines ?? 0)),
        stats: stats(),
      };
    }
    return {
      seed: o.seed,
      mode: o.mode,
      ok: false,
      violation: err.message,
      trace: c.lastTrace(Math.max(60, o.traceLines ?? 0)),
      stats: stats(),
    };
  }
}

/**
 * VOPR's liveness mode: heal a quorum "core" of the voters (restart, unpause, connect fully, no
 * loss) while the other nodes stay crashed or partially connected — including the pattern of
 * Cloudflare's 2020 etcd outage (a node that reaches every follower but not the leader). The core
 * must elect a lasting leader within 2 election timeouts of the moment no core member keeps
 * CheckQuorum's promise any more, commit every proposal made to it, and keep the leader: at most
 * one election per ten election timeouts.
 */
function checkLiveness(
  c: Cluster,
  rng: SimRng,
  pendingRetire: Set<NodeId>,
): {
  electedAfterMs: number;
  electedAfterFreeMs: number;
  elections: number;
} {
  for (const id of pendingRetire) c.retire(id);
  // The core must be a quorum of every voter set its members may use: their own applied views
  // and the conf changes already in their logs, which may commit after the heal (single-server
  // changes keep consecutive sets overlapping enough for that). A member whose view is too far
  // behind for such a core to exist is left out of it.
  const latest = c.latestConfig().voters;
  let members = latest.filter((v) => {
    const st = c.nodes.get(v)?.state;
    return st !== undefined && st !== 'removed';
  });
  let core: NodeId[] = [];
  for (let attempt = 0; attempt < 8 && core.length === 0 && members.length > 0; attempt++) {
    const sets = [latest, ...members.flatMap((v) => c.voterSetsOf(c.nodes.get(v) as SimNode))];
    const quorum = Math.max(...sets.map((s) => Math.floor(s.length / 2) + 1));
    const inAll = members.filter((v) => sets.every((s) => s.includes(v)));
    if (inAll.length >= quorum) core = rng.shuffle(inAll).slice(0, quorum);
    else {
      // leave out the member with the stalest view and try again
      const stalest = members.reduce((a, b) =>
        (c.nodes.get(a)?.applied ?? 0) <= (c.nodes.get(b)?.applied ?? 0) ? a : b,
      );
      members = members.filter((v) => v !== stalest);
    }
  }
  if (core.length === 0) {
    // the members' views differ too much for a partial core (several changes behind): heal all
    // (less any voter that a conf change already in some log removes: it will leave)
    const live = latest.filter((v) => {
      const st = c.nodes.get(v)?.state;
      return st !== undefined && st !== 'removed';
    });
    const pendingViews = live.flatMap((v) => c.voterSetsOf(c.nodes.get(v) as SimNode).slice(1));
    core = live.filter((v) => pendingViews.every((set) => set.includes(v)));
    c.log(`LIVENESS the voters' views differ too much for a partial core: all that stay form it`);
  }
  const others = [...c.nodes.values()].filter((n) => n.state !== 'removed' && !core.includes(n.id)).map((n) => n.id);

  // heal the core
  for (const id of core) {
    const n = c.nodes.get(id) as SimNode;
    if (n.state === 'crashed') c.restart(id);
    n.pausedUntil = 0;
    n.crashInNextReady = false;
    n.crashAfterReadies = -1;
  }
  c.healNetwork();
  c.newLeaderCrashChance = 0;
  c.leaderCommitCrashChance = 0;
  c.churnUntil = 0;
  c.clearTimers();
  c.silentCrashOnLeadership = false;
  c.commitCrashNode = 0;
  // Non-core nodes: crashed, isolated, deaf (they send but hear nothing), mute (they hear but
  // cannot send), or the Cloudflare pattern. A non-core node is never two-way connected to part
  // of the core: with such links it and part of the core could form a quorum of their own, and
  // that leader is live, just not the core's.
  const cloudflare = others.length > 0 && rng.chance(0.5) ? (rng.pick(others) as NodeId) : null;
  for (const id of others) {
    const n = c.nodes.get(id) as SimNode;
    if (id === cloudflare) {
      // isolated until the core has a settled leader; then it reaches everyone but the leader
      if (n.state === 'crashed') c.restart(id);
      n.pausedUntil = 0;
      for (const k of c.nodes.keys()) {
        if (k === id) continue;
        c.faults.cut.add(`${id}>${k}`);
        c.faults.cut.add(`${k}>${id}`);
      }
      continue;
    }
    const shape = rng.pick(['crashed', 'isolated', 'deaf', 'mute'] as const);
    if (shape === 'crashed') c.crash(id);
    for (const k of core) {
      if (shape !== 'deaf') c.faults.cut.add(`${id}>${k}`);
      if (shape !== 'mute') c.faults.cut.add(`${k}>${id}`);
    }
    c.log(`LIVENESS non-core n${id} ${shape}`);
  }
  const healedAt = c.now;
  c.log(
    `LIVENESS heal core ${fmt(core)}; others ${fmt(others)}${cloudflare ? `; n${cloudflare} cut from the leader only` : ''}`,
  );

  // 1. a leader the whole core follows
  const coreLeader = (): SimNode | null => {
    let lead: SimNode | null = null;
    for (const id of core) {
      const n = c.nodes.get(id) as SimNode;
      const r = n.raw?.raft;
      if (!r || r.lead === 0) return null;
      const l = c.nodes.get(r.lead);
      if (l?.raw?.raft.role !== 'leader' || l.raw.raft.term !== r.term) return null;
      if (lead && lead !== l) return null;
      if (!core.includes(l.id)) return null;
      lead = l;
    }
    return lead;
  };
  // 2 election timeouts for the election itself, plus what the protocol makes the core wait
  // first: a node restarted within the last timeout refuses votes for one timeout and may cost
  // a term catch-up round (+2); a leader outside the core that still reaches it keeps its
  // followers loyal until CheckQuorum removes it, up to 2 timeouts (+2).
  // The core must elect within 2 election timeouts of the moment it is free to: when no core
  // member still keeps CheckQuorum's promise not to vote (it heard a leader in the last timeout,
  // or restarted within one). A stale or outside leader that still reaches the core, and late
  // packets from one, push that moment back until CheckQuorum deposes it; the hard cap catches a
  // core that is never freed. A leader counts once it has held the whole core for one election
  // timeout: the stale leader the core may still follow at the heal can step down a moment later.
  const hardCap = healedAt + 10 * ELECTION_MS;
  let freeAt = healedAt;
  let leader: SimNode | null = null;
  let candidate: SimNode | null = null;
  let candidateTerm = 0;
  let since = c.now;
  // Randomized timeouts make split votes rare, not impossible (two core members campaigning in
  // the same term); each one costs another randomized timeout, up to 2 election timeouts.
  const candidatesByTerm = new Map<number, Set<NodeId>>();
  const splitVotes = (): number => [...candidatesByTerm.values()].filter((ids) => ids.size >= 2).length;
  const budgetEnd = (): number => freeAt + 2 * ELECTION_MS * (1 + splitVotes());
  const noteCandidates = (): void => {
    for (const id of core) {
      const r = c.nodes.get(id)?.raw?.raft;
      if (r?.role !== 'candidate') continue;
      const ids = candidatesByTerm.get(r.term) ?? new Set<NodeId>();
      ids.add(id);
      candidatesByTerm.set(r.term, ids);
    }
  };
  const updateFreeAt = (): void => {
    if (candidate) return; // a core leader's own heartbeats keep followers quiet; that is not a wait
    for (const id of core) {
      const n = c.nodes.get(id) as SimNode;
      const quietTicks = n.raw?.raft.voteQuietRemainingTicks() ?? 0;
      if (quietTicks > 0) freeAt = Math.max(freeAt, c.now + quietTicks * n.tickMs);
    }
  };
  updateFreeAt();
  while (c.now <= hardCap) {
    c.runUntil(c.now + 10);
    const l = coreLeader();
    if (l !== candidate || l?.raw?.raft.term !== candidateTerm) {
      candidate = l;
      candidateTerm = l?.raw?.raft.term ?? 0;
      since = c.now;
    }
    updateFreeAt();
    noteCandidates();
    if (candidate && c.now - since >= ELECTION_MS) {
      leader = candidate;
      break;
    }
    if (!candidate && c.now > budgetEnd()) break;
  }
  if (!leader || since > budgetEnd()) {
    throw new Violation(
      'liveness',
      `no lasting leader for the core ${fmt(core)} within 2 election timeouts of it being free to elect ` +
        `(${(freeAt - healedAt).toFixed(0)}ms after the heal), plus 2 per split vote (${splitVotes()})`,
    );
  }
  c.stats.splitVotes = splitVotes();
  const electedAfterFreeMs = Math.max(0, since - freeAt);
  const electedAfterMs = since - healedAt;
  c.log(`LIVENESS n${leader.id} leads the core since ${electedAfterMs.toFixed(0)}ms after the heal`);
  if (cloudflare !== null) {
    // The Cloudflare pattern: a node that reaches every follower of a settled leader, but not it.
    for (const k of c.nodes.keys()) {
      if (k === leader.id) continue;
      c.faults.cut.delete(`${cloudflare}>${k}`);
      c.faults.cut.delete(`${k}>${cloudflare}`);
    }
    c.log(`LIVENESS n${cloudflare} now reaches every node but the leader n${leader.id}`);
  }

  // 2. every proposal to it commits on the whole core; 3. the leader stays
  const startTerm = leader.raw?.raft.term ?? 0;
  const terms = new Set<number>([startTerm]);
  const stableUntil = c.now + 20 * ELECTION_MS;
  let proposals = 0;
  while (c.now < stableUntil) {
    c.runUntil(c.now + 50);
    const l = coreLeader();
    if (l?.raw) {
      terms.add(l.raw.raft.term);
      if (c.propose(l.id)) proposals++;
    }
  }
  const elections = terms.size - 1;
  if (elections > 2) {
    throw new Violation('liveness', `${elections} elections in 20 election timeouts after the core was healed`);
  }
  if (proposals === 0) throw new Violation('liveness', 'the core leader accepted no proposal');
  c.runUntil(c.now + 2 * ELECTION_MS);
  const l = coreLeader();
  if (!l?.raw) throw new Violation('liveness', 'the core lost its leader');
  const last = l.raw.raft.log.lastIndex();
  for (const id of core) {
    const n = c.nodes.get(id) as SimNode;
    if (n.applied < last) {
      throw new Violation('liveness', `core node ${id} applied ${n.applied}, the leader's log ends at ${last}`);
    }
  }
  return { electedAfterMs, electedAfterFreeMs, elections };
}
