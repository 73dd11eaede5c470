/**
 * report.html: the table as bar charts, one small SVG per row (each on its own scale), then the
 * systems, the notes and the full table as text. Self-contained (no script, no external file);
 * written by hand because a few rectangles do not need a charting library.
 */
import { SYSTEM_LABELS, type SystemName } from '../clients/lock-client.js';
import { formatValue } from './format.js';
import type { BenchResult, ResultRow } from './result.js';
import { formatSystems, formatTable } from './table.js';

const COLORS: Readonly<Record<SystemName, string>> = {
  baton: '#d9480f',
  etcd: '#1c7ed6',
  zookeeper: '#5f3dc4',
  redis: '#868e96',
};
const BAR_HEIGHT = 16;
const LABEL_WIDTH = 90;
const PLOT_WIDTH = 360;
const VALUE_WIDTH = 90;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function rowChart(row: ResultRow, systems: readonly SystemName[]): string {
  const values = systems.map((s) => row.values[s]);
  const top = Math.max(0, ...values.map((v) => (v !== null && Number.isFinite(v) ? v : 0)));
  const height = systems.length * (BAR_HEIGHT + 4) + 4;
  const bars = systems
    .map((s, i) => {
      const v = row.values[s];
      const y = 4 + i * (BAR_HEIGHT + 4);
      const shown = row.notApplicable.includes(s) ? 'n/a' : row.errors[s] !== undefined ? 'error' : formatValue(v);
      const w = v !== null && Number.isFinite(v) && top > 0 ? Math.max(1, (v / top) * PLOT_WIDTH) : 0;
      return [
        `<text x="0" y="${y + 12}" font-size="12">${esc(SYSTEM_LABELS[s])}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[s]}"/>`,
        `<text x="${LABEL_WIDTH + w + 4}" y="${y + 12}" font-size="12">${esc(shown)}</text>`,
      ].join('');
    })
    .join('');
  const better = row.better === 'higher' ? 'higher is better' : row.better === 'lower' ? 'lower is better' : '';
  const target =
    row.target === undefined
      ? ''
      : ` · target ${row.target.text}: ${row.target.met === null ? '?' : row.target.met ? 'met' : 'missed'}`;
  return `<figure><figcaption>${esc(row.label)} <small>(${esc(row.unit)}${better === '' ? '' : `, ${better}`}${esc(target)})</small></figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH}" height="${height}" role="img">${bars}</svg></figure>`;
}

export function renderHtml(result: BenchResult): string {
  const systems = (Object.keys(result.systems) as SystemName[]).filter((s) => result.systems[s].state === 'ran');
  const charts = result.rows.map((r) => rowChart(r, systems)).join('\n');
  const notes = result.notes.map((n) => `<li>${esc(n)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton vs etcd, ZooKeeper, Redis</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}figure{display:inline-block;margin:0 2em 1.5em 0;vertical-align:top}figcaption{font-size:13px;margin-bottom:4px;max-width:540px}pre{font-size:12px;overflow-x:auto}</style>
</head><body>
<h1>Baton vs etcd, ZooKeeper, Redis${result.quick ? ' (quick smoke run: numbers not meaningful)' : ''}</h1>
<p>${esc(result.startedAt)} · ${result.machine.cores} cores · Node ${esc(result.machine.node)} · ${(result.durationMs / 1000).toFixed(0)} s · same machine, same run, same client concurrency</p>
<pre>${esc(formatSystems(result))}</pre>
${charts}
<h2>Notes</h2><ul>${notes}</ul>
<h2>Table</h2><pre>${esc(formatTable(result))}</pre>
</body></html>
`;
}
