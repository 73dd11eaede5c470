/**
 * A picture of a run, as one self-contained HTML file with an SVG timeline: the faults (bar =
 * in effect, lighter tail = until serving again), each node's role over time with the term it
 * led, each client lane's operations (green ok, orange error, red unknown; hover for the record)
 * with its worker's pauses shaded, and the fenced store's calls. Violations are listed on top
 * and marked on the time axis.
 */
import { outcomeOf, type RunData, type Violation, workerOfClient } from '../checks/run-data.js';
import type { HistoryRecord } from '../worker/protocol.js';

const ROW_PX = 18;
const LABEL_PX = 130;
/** Horizontal scale: 50 px per second, but never wider than this. */
const PX_PER_MS = 0.05;
const MAX_WIDTH_PX = 40_000;
const ROLE_COLORS: Readonly<Record<string, string>> = {
  leader: '#f2b705',
  follower: '#cfe3f7',
  candidate: '#f28c28',
  preCandidate: '#f7c48d',
};
const OUTCOME_COLORS = { ok: '#3a9d4f', fail: '#e08a1e', unknown: '#d33a3a' } as const;

export function renderTimeline(data: RunData, violations: readonly Violation[], title: string): string {
  const endMs = Math.max(
    data.durationMs,
    ...data.history.map((r) => r.returnMs ?? r.invokeMs),
    ...data.faults.map((f) => f.healMs ?? f.startMs),
  );
  const scale = Math.min(PX_PER_MS, MAX_WIDTH_PX / Math.max(1, endMs));
  const x = (ms: number): number => LABEL_PX + ms * scale;
  const width = Math.ceil(x(endMs) + 20);
  const parts: string[] = [];
  let row = 1;
  const label = (text: string, r: number): void => {
    parts.push(`<text x="4" y="${r * ROW_PX + 13}" class="l">${esc(text)}</text>`);
  };
  const rect = (r: number, fromMs: number, toMs: number, color: string, tip: string, opacity = 1): void => {
    const x0 = x(fromMs);
    const w = Math.max(1, x(toMs) - x0);
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${r * ROW_PX + 2}" width="${w.toFixed(1)}" height="${ROW_PX - 4}" fill="${color}" fill-opacity="${opacity}"><title>${esc(tip)}</title></rect>`,
    );
  };

  // time axis, one tick per 5 s
  for (let t = 0; t <= endMs; t += 5_000) {
    parts.push(`<line x1="${x(t)}" y1="${ROW_PX}" x2="${x(t)}" y2="100%" class="g"/>`);
    parts.push(`<text x="${x(t) + 2}" y="12" class="t">${t / 1000}s</text>`);
  }

  label('faults', row);
  for (const f of data.faults) {
    const heal = f.healMs ?? endMs;
    const tip = `#${f.index} ${f.kind}: ${f.detail}\nstart ${f.startMs.toFixed(0)} ms, healed ${heal.toFixed(0)} ms, serving again after ${f.recoveryMs === null ? 'never' : `${Math.round(f.recoveryMs)} ms`}, converged after ${f.convergedMs === null ? 'never' : `${Math.round(f.convergedMs)} ms`}`;
    rect(row, f.startMs, heal, '#7a3db8', tip);
    rect(row, heal, heal + (f.recoveryMs ?? 0), '#7a3db8', tip, 0.35);
    parts.push(`<text x="${x(f.startMs) + 2}" y="${row * ROW_PX + 13}" class="w">${esc(f.kind)}</text>`);
  }
  row++;

  const nodes = [...new Set(data.statusSamples.map((s) => s.node))].sort();
  for (const node of nodes) {
    label(`${node} role`, row);
    const samples = data.statusSamples.filter((s) => s.node === node);
    samples.forEach((s, i) => {
      const until = samples[i + 1]?.atMs ?? endMs;
      rect(
        row,
        s.atMs,
        until,
        ROLE_COLORS[s.role] ?? '#ddd',
        `${node} ${s.role} term ${s.term} (leader: ${s.leader ?? 'none'})`,
      );
      if (s.role === 'leader')
        parts.push(`<text x="${x(s.atMs) + 2}" y="${row * ROW_PX + 13}" class="w">t${s.term}</text>`);
    });
    for (const f of data.faults) {
      if (!f.targets.includes(node) || !/kill|pause|transfer/.test(f.kind)) continue;
      rect(row, f.startMs, f.healMs ?? endMs, '#555', `${f.kind}: ${f.detail}`, 0.55);
    }
    row++;
  }

  const clients = [...new Set(data.history.map((r) => r.client))].sort(clientOrder);
  for (const client of clients) {
    label(client, row);
    const worker = workerOfClient(client);
    for (const p of worker === null ? [] : (data.workerStalls.get(worker) ?? [])) {
      rect(row, p.startMs, p.endMs ?? endMs, '#c9a0dc', `worker w${worker} stalled (timers late)`, 0.5);
    }
    for (const p of worker === null ? [] : (data.workerPauses.get(worker) ?? [])) {
      rect(row, p.startMs, p.endMs ?? endMs, '#999', `worker w${worker} paused (SIGSTOP)`, 0.4);
    }
    for (const r of data.history.filter((h) => h.client === client)) {
      const outcome = outcomeOf(r);
      const end = r.returnMs ?? endMs;
      rect(
        row,
        r.invokeMs,
        outcome === 'unknown' ? Math.max(end, r.invokeMs + 200) : end,
        OUTCOME_COLORS[outcome],
        describe(r),
      );
    }
    row++;
  }

  for (const v of violations) {
    if (v.atMs === undefined) continue;
    parts.push(
      `<line x1="${x(v.atMs)}" y1="0" x2="${x(v.atMs)}" y2="100%" class="v"><title>${esc(v.message)}</title></line>`,
    );
  }

  const height = (row + 1) * ROW_PX;
  const terms = [...data.leadersByTerm].sort(([a], [b]) => a - b).map(([t, s]) => `t${t}: ${[...s].join(', ')}`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:13px system-ui,sans-serif;margin:12px}
svg{display:block;border:1px solid #ccc}
.l{font-size:11px;fill:#222}.t{font-size:10px;fill:#666}.w{font-size:10px;fill:#fff;pointer-events:none}
.g{stroke:#eee}.v{stroke:#d00;stroke-width:2}
pre{background:#fff4f4;padding:8px;white-space:pre-wrap}
.legend span{display:inline-block;padding:0 6px;margin-right:6px;color:#fff}
</style></head><body>
<h2>${esc(title)}</h2>
<div class="legend"><span style="background:${OUTCOME_COLORS.ok}">ok</span><span style="background:${OUTCOME_COLORS.fail}">error</span><span style="background:${OUTCOME_COLORS.unknown}">unknown</span><span style="background:#7a3db8">fault (light: until serving again)</span><span style="background:${ROLE_COLORS.leader};color:#000">leader</span><span style="background:#999">paused</span><span style="background:#c9a0dc">stalled</span></div>
${violations.length === 0 ? '<p>No violations.</p>' : `<pre>${esc(violations.map((v) => `[${v.check}] ${v.message}`).join('\n\n'))}</pre>`}
<p>Leaders per term (from status polls): ${esc(terms.join(' · '))}</p>
<div style="overflow-x:auto"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
${parts.join('\n')}
</svg></div></body></html>
`;
}

function describe(r: HistoryRecord): string {
  return `${r.op}${r.name === undefined ? '' : ` ${r.name}`} ${JSON.stringify(r.args)} -> ${r.result === null ? '?' : JSON.stringify(r.result)}\n[${r.invokeMs} .. ${r.returnMs ?? '∞'}]${r.node === undefined ? '' : ` node ${r.node}`}`;
}

function clientOrder(a: string, b: string): number {
  const wa = workerOfClient(a);
  const wb = workerOfClient(b);
  if (wa !== null && wb !== null && wa !== wb) return wa - wb;
  if ((wa === null) !== (wb === null)) return wa === null ? 1 : -1;
  return a.localeCompare(b);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
