/**
 * Durations as people type them: `500ms`, `10s`, `2m`, `1h`, `1m30s`, `1.5s`. A bare number is
 * refused rather than guessed (seconds? milliseconds?) — except `0`.
 */
import { UsageError } from './exit-codes.js';

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000 });
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
/** Longer than any limit the cluster accepts; stops `99999999h` from becoming Infinity-ish. */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** Milliseconds (rounded up to a whole one); UsageError naming `flag` when `text` is not a duration. */
export function parseDuration(text: string, flag: string): number {
  const bad = (why: string): UsageError =>
    new UsageError(`--${flag}: ${JSON.stringify(text)} ${why} (e.g. 500ms, 10s, 2m, 1h, 1m30s)`);
  if (text === '0') return 0;
  let totalMs = 0;
  PART.lastIndex = 0;
  let parts = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) throw bad('is not a duration');
    totalMs += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    parts += 1;
  }
  if (parts === 0) throw bad('is not a duration');
  if (totalMs > MAX_DURATION_MS) throw bad(`is longer than ${MAX_DURATION_MS / 3_600_000}h`);
  return Math.ceil(totalMs);
}

/** `1500` → `1.5s`, `90000` → `1m30s`: the inverse, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  if (minutes < 60) return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
}
