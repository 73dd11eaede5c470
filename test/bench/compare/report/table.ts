/**
 * The printed table: one row per measured quantity, one column per system that was selected,
 * then Baton's ratio to each peer (a ratio above 1 is better for "higher is better" rows, below 1
 * for "lower is better" rows; the arrow says which) and the issue's target with ✓/✗.
 */
import { SYSTEM_LABELS, type SystemName } from '../clients/lock-client.js';
import { formatRatio, formatValue } from './format.js';
import type { BenchResult, ResultRow, TargetResult } from './result.js';

function targetCell(t: TargetResult | undefined): string {
  if (t === undefined) return '';
  const mark = t.met === null ? '?' : t.met ? '✓' : '✗';
  return `${mark} ${t.text}`;
}

function cell(row: ResultRow, s: SystemName): string {
  if (row.notApplicable.includes(s)) return 'n/a';
  if (row.errors[s] !== undefined) return 'error';
  return formatValue(row.values[s]);
}

export function formatTable(result: BenchResult): string {
  const shown = (Object.keys(result.systems) as SystemName[]).filter((s) => result.systems[s].state !== 'not selected');
  const peers = shown.filter((s): s is Exclude<SystemName, 'baton'> => s !== 'baton');
  const withBaton = shown.includes('baton');
  const header = [
    'workload',
    'unit',
    ...shown.map((s) => SYSTEM_LABELS[s]),
    ...(withBaton ? peers.map((p) => `Baton/${SYSTEM_LABELS[p]}`) : []),
    'target (Baton)',
  ];
  const lines: string[][] = [header];
  for (const row of result.rows) {
    const arrow = row.better === 'higher' ? ' ↑' : row.better === 'lower' ? ' ↓' : '';
    lines.push([
      row.label,
      `${row.unit}${arrow}`,
      ...shown.map((s) => cell(row, s)),
      ...(withBaton ? peers.map((p) => formatRatio(row.ratios[p])) : []),
      [targetCell(row.target), row.stretch === undefined ? '' : `(stretch ${targetCell(row.stretch)})`]
        .filter((x) => x !== '')
        .join(' '),
    ]);
  }
  const widths = header.map((_, c) => Math.max(...lines.map((l) => [...(l[c] ?? '')].length)));
  const pad = (text: string, c: number): string => {
    const w = widths[c] ?? 0;
    const len = [...text].length;
    // text columns left, numbers right
    return c <= 1 || c === header.length - 1 ? text + ' '.repeat(w - len) : ' '.repeat(w - len) + text;
  };
  const out = lines.map((l) =>
    l
      .map((t, c) => pad(t, c))
      .join('  ')
      .trimEnd(),
  );
  out.splice(1, 0, widths.map((w) => '─'.repeat(w)).join('  '));
  return out.join('\n');
}

export function formatSystems(result: BenchResult): string {
  return (Object.keys(result.systems) as SystemName[])
    .map((s) => {
      const r = result.systems[s];
      const what =
        r.state === 'ran'
          ? `ran (${r.version ?? '?'}${r.installed === true ? ', installed by apt-get in this run' : ''}, ${((r.durationMs ?? 0) / 1000).toFixed(0)} s)`
          : `${r.state}${r.reason === undefined ? '' : `: ${r.reason}`}`;
      return `  ${SYSTEM_LABELS[s].padEnd(10)} ${what}`;
    })
    .join('\n');
}
