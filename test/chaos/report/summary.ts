/**
 * The summary table of a run: operations by outcome, tasks, faults injected with their recovery
 * times, the store, the handover margins, the linearizability verdict, and every violation.
 */
import { outcomeOf, type RunData } from '../checks/run-data.js';
import type { CheckedRun } from '../run/check-run.js';

export function formatSummary(data: RunData, checked: CheckedRun, replayCommand: string): string {
  const out: string[] = [];
  const minutes = (data.durationMs / 60_000).toFixed(1);
  out.push(`Baton chaos run: seed ${data.seed}, ${data.nodes} nodes, ${minutes} min, session TTL ${data.ttlMs} ms`);
  out.push(`replay: ${replayCommand}`);
  out.push(`network: ${data.network}`);
  if (data.networkFallback !== null)
    out.push(`  (netns mode was asked for but is unavailable: ${data.networkFallback})`);
  out.push('');

  const ops = new Map<string, { ok: number; fail: number; unknown: number }>();
  for (const r of data.history) {
    const row = ops.get(r.op) ?? { ok: 0, fail: 0, unknown: 0 };
    row[outcomeOf(r)]++;
    ops.set(r.op, row);
  }
  const total = { ok: 0, fail: 0, unknown: 0 };
  out.push(
    table(
      ['operation', 'ok', 'fail', 'unknown'],
      [
        ...[...ops]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([op, r]) => {
            total.ok += r.ok;
            total.fail += r.fail;
            total.unknown += r.unknown;
            return [op, r.ok, r.fail, r.unknown];
          }),
        ['total', total.ok, total.fail, total.unknown],
      ],
    ),
  );
  out.push('');

  const outcomes = new Set<string>();
  for (const m of data.taskOutcomes.values()) for (const k of m.keys()) outcomes.add(k);
  const outcomeCols = [...outcomes].sort();
  out.push(
    table(
      ['task', ...outcomeCols],
      [...data.taskOutcomes].map(([kind, m]) => [kind, ...outcomeCols.map((o) => m.get(o as never) ?? 0)]),
    ),
  );
  out.push('');

  const byKind = new Map<
    string,
    { n: number; maxBootMs: number | null; maxMs: number; maxConvergedMs: number; never: number }
  >();
  for (const f of data.faults) {
    const row = byKind.get(f.kind) ?? { n: 0, maxBootMs: null, maxMs: 0, maxConvergedMs: 0, never: 0 };
    row.n++;
    if (f.bootMs !== null) row.maxBootMs = Math.max(row.maxBootMs ?? 0, f.bootMs);
    if (f.recoveryMs === null || f.convergedMs === null) row.never++;
    row.maxMs = Math.max(row.maxMs, f.recoveryMs ?? 0);
    row.maxConvergedMs = Math.max(row.maxConvergedMs, f.convergedMs ?? 0);
    byKind.set(f.kind, row);
  }
  out.push(
    table(
      ['fault', 'injected', 'max ms to boot', 'max ms to serve', 'max ms to converge', 'not recovered'],
      [...byKind]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, r]) => [
          k,
          r.n,
          r.maxBootMs === null ? '-' : Math.round(r.maxBootMs),
          Math.round(r.maxMs),
          Math.round(r.maxConvergedMs),
          r.never,
        ]),
    ),
  );
  out.push(
    `faults injected: ${data.faults.length}; max unavailability after a fault (heal -> a write succeeds): ${
      checked.maxRecovery === null ? 'n/a' : `${Math.round(checked.maxRecovery.ms)} ms (${checked.maxRecovery.fault})`
    }; until every node agrees on the leader: ${
      checked.maxConvergence === null
        ? 'n/a'
        : `${Math.round(checked.maxConvergence.ms)} ms (${checked.maxConvergence.fault})`
    }`,
  );
  const gap = longestWriteGap(data);
  if (gap !== null) {
    out.push(
      `longest time without an acknowledged write (grant/release/resign/proclaim): ${Math.round(gap.ms)} ms, from ${Math.round(gap.fromMs)} ms`,
    );
  }
  const leftOut = [...data.faultsLeftOut].map(([kind, why]) => `${kind} (${why})`);
  if (leftOut.length > 0) out.push(`not injected: ${leftOut.join(', ')}`);
  if (data.portWaits > 0) out.push(`restarts that waited for a port held by another process: ${data.portWaits}`);
  out.push('');

  const s = checked.store;
  out.push(
    `fenced store (lock-set): ${s.acceptedWrites} accepted writes, ${s.refused} stale writes/advances refused, ${s.elements} elements, ${s.lost} lost`,
  );
  const h = checked.handover;
  out.push(
    `handover: ${h.handovers} grants after another holder checked (${h.pausedHandovers} while it was paused); closest approach after a hold lost to an expiry: ${
      h.closestLost === null ? 'n/a' : `${round1(h.closestLost.ms)} ms (${h.closestLost.what})`
    }; after a release: ${h.closestReleased === null ? 'n/a' : `${round1(h.closestReleased.ms)} ms`}`,
  );
  out.push(`tokens: ${checked.grants} acknowledged grants; sessions expired by the server: ${checked.expiredByServer}`);
  const stalls = [...data.workerStalls.values()].flat().filter((p) => p.endMs !== null);
  const longest = Math.max(0, ...stalls.map((p) => (p.endMs ?? p.startMs) - p.startMs));
  out.push(
    `client stalls (timers late ≥ 100 ms, SIGSTOPs included): ${stalls.length}, longest ${Math.round(longest)} ms`,
  );
  out.push(`linearizability (lock model): ${checked.linearizability.summary}`);
  out.push('');
  out.push(`violations: ${checked.violations.length}`);
  for (const v of checked.violations) {
    out.push(
      `  [${v.check}]${v.atMs === undefined ? '' : ` at ${round1(v.atMs)} ms`} ${v.message.split('\n').join('\n    ')}`,
    );
  }
  return out.join('\n');
}

const WRITE_OPS: ReadonlySet<string> = new Set(['acquire', 'tryAcquire', 'campaign', 'release', 'resign', 'proclaim']);

/** The longest stretch in which no client got a write acknowledged (during a fault, or not). */
function longestWriteGap(data: RunData): { ms: number; fromMs: number } | null {
  const acks = data.history
    .filter((r) => WRITE_OPS.has(r.op) && outcomeOf(r) === 'ok' && r.returnMs !== null)
    .map((r) => r.returnMs as number)
    .sort((a, b) => a - b);
  let best: { ms: number; fromMs: number } | null = null;
  for (let i = 1; i < acks.length; i++) {
    const ms = acks[i]! - acks[i - 1]!;
    if (best === null || ms > best.ms) best = { ms, fromMs: acks[i - 1]! };
  }
  return best;
}

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r, ri) => {
      const line = r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}
