/** Small health probes: one HTTP JSON call, one plain TCP question (ZooKeeper four-letter words, Redis PING). */
import { connect } from 'node:net';
import { HOST } from '../../../cluster/harness.js';

/** How long one probe may take before it counts as no answer. */
const PROBE_TIMEOUT_MS = 1_000;

export async function httpJson(url: string, body?: unknown): Promise<unknown> {
  try {
    const res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

/** Sends `text` to HOST:port and returns everything the server wrote before closing (or null). */
export function tcpAsk(port: number, text: string, untilIncludes?: string): Promise<string | null> {
  return new Promise((resolve) => {
    let answer = '';
    let settled = false;
    const finish = (v: string | null): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(v);
    };
    const socket = connect({ host: HOST, port }, () => socket.write(text));
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(null));
    socket.on('data', (d) => {
      answer += d.toString();
      if (untilIncludes !== undefined && answer.includes(untilIncludes)) finish(answer);
    });
    socket.on('end', () => finish(answer));
    socket.on('error', () => finish(null));
  });
}
