/**
 * Numbers in file names (WAL segments, snapshots) are fixed-width decimals, so that the names
 * sort in the same order as the numbers they hold.
 */
export const NAME_DIGITS = 16;

export function padNumber(n: number, what: string): string {
  const s = String(n);
  if (!Number.isSafeInteger(n) || n < 0 || s.length > NAME_DIGITS) throw new RangeError(`bad ${what} number ${n}`);
  return s.padStart(NAME_DIGITS, '0');
}

/** The two numbers a name pattern with two capture groups holds, or null if it does not match. */
export function parseNumberPair(pattern: RegExp, name: string): [number, number] | null {
  const m = pattern.exec(name);
  if (m === null) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return Number.isSafeInteger(a) && Number.isSafeInteger(b) ? [a, b] : null;
}
