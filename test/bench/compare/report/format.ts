/** Number formatting shared by the table and the chart. */

export function formatValue(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return String(Math.round(v));
  if (v === Math.round(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

export function formatRatio(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '–';
  if (r >= 100) return `${Math.round(r)}×`;
  return `${Number(r.toPrecision(2))}×`;
}
