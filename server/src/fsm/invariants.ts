/**
 * The state machine's invariants, checked on a whole state: by tests and the simulator after
 * every step, and by restore() on every snapshot it loads. Returns one line per violation.
 */
import { LIMITS } from '@baton/proto-schemas';
import type { Machine } from './machine.js';
import { freeSlots, isIdle } from './state.js';

export function checkMachineInvariants(m: Machine, appliedIndex: number): string[] {
  const out: string[] = [];
  if (m.sessions.size > LIMITS.maxSessions) out.push(`${m.sessions.size} sessions, over ${LIMITS.maxSessions}`);
  if (m.names.size > LIMITS.maxNames) out.push(`${m.names.size} names, over ${LIMITS.maxNames}`);
  if (m.dedup.clients.size > m.dedup.maxClients) out.push(`${m.dedup.clients.size} dedup clients, over the limit`);

  // what each session holds or waits for, rebuilt from the names
  const involved = new Map<number, Set<string>>();
  for (const [id, s] of m.sessions) {
    if (s.id !== id) out.push(`session keyed ${id} has id ${s.id}`);
    if (id > appliedIndex) out.push(`session ${id} is newer than the applied index ${appliedIndex}`);
    involved.set(id, new Set());
  }

  for (const [key, n] of m.names.byName) {
    const at = `'${key}'`;
    if (n.name !== key) out.push(`name keyed ${at} is called '${n.name}'`);
    if (!Number.isInteger(n.limit) || n.limit < 1 || n.limit > LIMITS.maxSemaphoreLimit) {
      out.push(`${at} has limit ${n.limit}`);
    }
    if (n.kind === 'election' && n.limit !== 1) out.push(`election ${at} has limit ${n.limit}`);
    if (n.kind === 'election' && n.reservations.length > 0) out.push(`election ${at} has a lock-delay`);
    if (freeSlots(n) < 0) {
      out.push(`${at}: ${n.holders.length} holders + ${n.reservations.length} lock-delays over limit ${n.limit}`);
    }
    if (n.waiters.length > 0 && freeSlots(n) > 0) {
      out.push(`${at}: ${n.waiters.length} waiting while ${freeSlots(n)} slots are free`);
    }
    if (n.waiters.length > LIMITS.maxWaitersPerName) out.push(`${at}: ${n.waiters.length} waiters, over the limit`);
    if (n.newestToken > appliedIndex) out.push(`${at}: newest token ${n.newestToken} > applied ${appliedIndex}`);
    if (isIdle(n) !== m.names.idle.has(key)) out.push(`${at}: idle ${isIdle(n)} but idle-listed ${!isIdle(n)}`);

    const holding = new Set<number>();
    let prevToken = 0;
    let prevGeneration = 0;
    for (const h of n.holders) {
      const who = `${at} holder ${h.sessionId}`;
      if (!m.sessions.has(h.sessionId)) out.push(`${who}: its session is not open`);
      if (holding.has(h.sessionId)) out.push(`${who}: holds twice`);
      holding.add(h.sessionId);
      involved.get(h.sessionId)?.add(key);
      if (h.token <= prevToken) out.push(`${who}: token ${h.token} after ${prevToken} (not increasing in grant order)`);
      if (h.generation <= prevGeneration) out.push(`${who}: generation ${h.generation} after ${prevGeneration}`);
      prevToken = h.token;
      prevGeneration = h.generation;
      if ((n.kind === 'election') !== (h.value !== null)) out.push(`${who}: value ${h.value} on a ${n.kind}`);
    }
    if (prevToken > n.newestToken) out.push(`${at}: holder token ${prevToken} > newest token ${n.newestToken}`);
    if (prevGeneration > n.generation) out.push(`${at}: holder generation ${prevGeneration} > ${n.generation}`);

    const waiting = new Set<number>();
    let prevEnqueued = 0;
    for (const w of n.waiters) {
      const who = `${at} waiter ${w.sessionId}`;
      if (!m.sessions.has(w.sessionId)) out.push(`${who}: its session is not open`);
      if (waiting.has(w.sessionId)) out.push(`${who}: waits twice`);
      if (holding.has(w.sessionId)) out.push(`${who}: holds and waits at once`);
      waiting.add(w.sessionId);
      involved.get(w.sessionId)?.add(key);
      if (w.enqueuedIndex <= prevEnqueued)
        out.push(`${who}: queued at ${w.enqueuedIndex} after ${prevEnqueued} (not FIFO)`);
      if (w.enqueuedIndex > appliedIndex) out.push(`${who}: queued at ${w.enqueuedIndex} > applied ${appliedIndex}`);
      prevEnqueued = w.enqueuedIndex;
    }
    let prevSince = 0;
    for (const r of n.reservations) {
      if (r.sinceIndex <= prevSince) out.push(`${at}: lock-delays out of order at ${r.sinceIndex}`);
      if (r.lockDelayMs <= 0) out.push(`${at}: a lock-delay of ${r.lockDelayMs}ms`);
      prevSince = r.sinceIndex;
    }
  }
  for (const name of m.names.idle.keys()) {
    if (!m.names.byName.has(name)) out.push(`idle-listed '${name}' is not a name`);
  }

  for (const [id, s] of m.sessions) {
    const want = involved.get(id) ?? new Set<string>();
    const have = s.names;
    if (want.size !== have.size || [...want].some((x) => !have.has(x))) {
      out.push(`session ${id}: name index [${[...have].sort()}] but holds/waits [${[...want].sort()}]`);
    }
  }
  return out;
}
