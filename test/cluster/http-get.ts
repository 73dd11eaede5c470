/** Plain HTTP GETs against a node, with a bound, and the Prometheus text format read into a map. */
import { HOST } from './harness.js';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** null when the node does not answer within `timeoutMs` (down, paused or partitioned). */
export async function httpGet(port: number, path: string, timeoutMs = 2_000): Promise<HttpAnswer | null> {
  try {
    const res = await fetch(`http://${HOST}:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

/**
 * `name{a="x",b="y"} value` lines → a map keyed by the name and its labels sorted, without the
 * `node` label every Baton series carries (e.g. `baton_grants_total{kind="lock"}`).
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .filter(([, k]) => k !== 'node')
      .map(([, k, v]) => `${k}="${v}"`)
      .sort();
    out.set(labels.length === 0 ? (m[1] as string) : `${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}

export async function scrapeMetrics(port: number): Promise<Map<string, number>> {
  const answer = await httpGet(port, '/metrics');
  if (answer === null || answer.status !== 200)
    throw new Error(`GET /metrics on port ${port}: ${answer?.status ?? 'no answer'}`);
  return parsePrometheusText(answer.body);
}
