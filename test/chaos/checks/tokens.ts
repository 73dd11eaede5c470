/**
 * Fencing tokens, straight from the acknowledged grants: a token is a log index, so it belongs
 * to one grant only (one name, one session — a session re-asking gets its own hold again), and
 * per name a grant that began after another one was acknowledged carries a greater token.
 */
import type { HistoryRecord } from '../worker/protocol.js';
import type { Violation } from './run-data.js';

interface Grant {
  readonly name: string;
  readonly session: string;
  readonly token: number;
  readonly invokeMs: number;
  readonly returnMs: number;
  readonly client: string;
}

export function acknowledgedGrants(history: readonly HistoryRecord[]): Grant[] {
  const grants: Grant[] = [];
  for (const r of history) {
    if (r.result === null || r.returnMs === null || r.name === undefined) continue;
    const isAcquire = (r.op === 'acquire' || r.op === 'tryAcquire') && r.result.acquired === true;
    const isCampaign = r.op === 'campaign' && typeof r.result.term === 'number';
    if (!isAcquire && !isCampaign) continue;
    const token = Number(isAcquire ? r.result.token : r.result.term);
    grants.push({
      name: r.name,
      session: String(r.args.session),
      token,
      invokeMs: r.invokeMs,
      returnMs: r.returnMs,
      client: r.client,
    });
  }
  return grants;
}

export function checkTokens(history: readonly HistoryRecord[]): { violations: Violation[]; grants: number } {
  const grants = acknowledgedGrants(history);
  const violations: Violation[] = [];
  const owner = new Map<number, Grant>();
  for (const g of grants) {
    const first = owner.get(g.token);
    if (first === undefined) {
      owner.set(g.token, g);
      continue;
    }
    if (first.name !== g.name || first.session !== g.session) {
      violations.push({
        check: 'tokens',
        message: `token ${g.token} granted twice: ${first.name} to session ${first.session} (${first.client}) and ${g.name} to session ${g.session} (${g.client})`,
        atMs: g.returnMs,
      });
    }
  }
  const byName = new Map<string, Grant[]>();
  for (const g of grants) {
    const list = byName.get(g.name) ?? [];
    list.push(g);
    byName.set(g.name, list);
  }
  for (const [name, list] of byName) {
    // sweep by time: the greatest token acknowledged before each grant was asked for
    const byReturn = [...list].sort((a, b) => a.returnMs - b.returnMs);
    const byInvoke = [...list].sort((a, b) => a.invokeMs - b.invokeMs);
    let i = 0;
    let maxBefore: Grant | null = null;
    for (const g of byInvoke) {
      while (i < byReturn.length && byReturn[i]!.returnMs < g.invokeMs) {
        const done = byReturn[i]!;
        if (maxBefore === null || done.token > maxBefore.token) maxBefore = done;
        i++;
      }
      if (maxBefore !== null && maxBefore.token >= g.token && maxBefore.session !== g.session) {
        violations.push({
          check: 'tokens',
          message: `${name}: token ${g.token} (session ${g.session}, asked at ${g.invokeMs}) is not above token ${maxBefore.token} acknowledged earlier (session ${maxBefore.session}, at ${maxBefore.returnMs})`,
          atMs: g.returnMs,
        });
      }
    }
  }
  return { violations, grants: grants.length };
}
