/**
 * Test support: writes Baton JSON-lines histories by hand, compactly:
 * `rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, { acquired: true, token: 5 })`.
 */

export interface BatonRecord {
  client: string;
  process: number;
  node: string;
  invokeMs: number;
  returnMs: number | null;
  op: string;
  name?: string;
  args: Record<string, unknown>;
  result: Record<string, unknown> | null;
}

/** One line; `name` null for session operations (expire/close); `result` null = unknown outcome. */
export function rec(
  client: string,
  [invokeMs, returnMs]: [number, number | null],
  op: string,
  name: string | null,
  args: Record<string, unknown>,
  result: Record<string, unknown> | null,
): BatonRecord {
  return {
    client,
    process: client.charCodeAt(0),
    node: 'n1',
    invokeMs,
    returnMs,
    op,
    ...(name === null ? {} : { name }),
    args,
    result,
  };
}

export function jsonl(records: readonly BatonRecord[]): string {
  return `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
}
