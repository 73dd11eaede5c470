/**
 * Checks a stream of applied entries and their outputs against the promises that span entries
 * (checkFsmInvariants sees one state at a time): every grant's token is its entry's index and
 * tokens strictly increase per name; waiters are granted in FIFO order and nobody jumps a queue;
 * nothing is granted to a session that has ended; a retried (clientId, seq) gets the first
 * result again and produces no events. For tests and the simulator; it keeps every seq it saw.
 */
import { decodeEnvelope } from './envelope.js';
import type { ApplyOutput, Envelope } from './types.js';

export class FsmHistoryChecker {
  private readonly lastToken = new Map<string, number>();
  /** Per name, sessions in the order their waits were queued. */
  private readonly queues = new Map<string, number[]>();
  private readonly liveSessions = new Set<number>();
  private readonly endedSessions = new Set<number>();
  /** `${clientId}#${seq}` -> the result, as JSON. */
  private readonly answered = new Map<string, string>();
  grants = 0;

  /** Feeds one applied entry; returns the violations found (empty when all is well). */
  observe(index: number, data: Uint8Array, out: ApplyOutput): string[] {
    const bad: string[] = [];
    let env: Envelope | null = null;
    try {
      env = decodeEnvelope(data);
    } catch {
      env = null;
    }
    if (env === null) {
      if (out.result.ok || out.events.length > 0) bad.push(`${index}: undecodable entry changed something`);
      return bad;
    }
    if (env.clientId !== '') {
      const key = `${env.clientId}#${env.seq}`;
      const json = JSON.stringify(out.result);
      const first = this.answered.get(key);
      if (first !== undefined) {
        // the first answer again, or (a seq older than the window) refused; nothing happens either way
        const refused = !out.result.ok && out.result.code === 'INVALID_ARGUMENT';
        if (first !== json && !refused) bad.push(`${index}: retry of ${key} answered ${json}, first ${first}`);
        if (out.events.length > 0) bad.push(`${index}: retry of ${key} produced events`);
        return bad;
      }
      this.answered.set(key, json);
    }
    const c = env.cmd;
    if (c.op === 'openSession' && out.result.ok) {
      this.liveSessions.add(index);
    }
    for (const e of out.events) {
      switch (e.kind) {
        case 'granted': {
          this.grants++;
          if (e.token !== index) bad.push(`${index}: '${e.name}' granted with token ${e.token}`);
          const last = this.lastToken.get(e.name) ?? 0;
          if (e.token <= last) bad.push(`${index}: '${e.name}' token ${e.token} after ${last} (not increasing)`);
          this.lastToken.set(e.name, e.token);
          if (!this.liveSessions.has(e.sessionId)) {
            bad.push(`${index}: '${e.name}' granted to session ${e.sessionId}, which is not open`);
          }
          const q = this.queues.get(e.name) ?? [];
          const at = q.indexOf(e.sessionId);
          if (at > 0)
            bad.push(`${index}: '${e.name}' granted to ${e.sessionId}, queued behind ${q.slice(0, at)} (FIFO)`);
          if (at < 0 && q.length > 0) bad.push(`${index}: '${e.name}' granted to ${e.sessionId} ahead of queue ${q}`);
          if (at >= 0) q.splice(at, 1);
          break;
        }
        case 'waitEnded': {
          const q = this.queues.get(e.name) ?? [];
          const at = q.indexOf(e.sessionId);
          if (at < 0) bad.push(`${index}: wait of ${e.sessionId} on '${e.name}' ended, but it was not queued`);
          else q.splice(at, 1);
          break;
        }
        case 'sessionEnded':
          if (!this.liveSessions.delete(e.sessionId)) bad.push(`${index}: session ${e.sessionId} ended twice`);
          this.endedSessions.add(e.sessionId);
          break;
        case 'lost':
        case 'electionChanged':
          break;
      }
    }
    // a new wait joins the end of its queue
    if ((c.op === 'acquire' || c.op === 'campaign') && out.result.ok) {
      const v = out.result.value as { waiting?: boolean };
      if (v.waiting === true) {
        const q = this.queues.get(c.name) ?? [];
        if (!q.includes(c.sessionId)) q.push(c.sessionId);
        this.queues.set(c.name, q);
      }
    }
    for (const [name, q] of this.queues) {
      for (const s of q)
        if (this.endedSessions.has(s)) bad.push(`${index}: ended session ${s} still queued on '${name}'`);
    }
    return bad;
  }
}
