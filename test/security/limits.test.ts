/**
 * Per-client limits on a real node: a client flooding requests (on one connection, then over
 * several with the same token) is refused RESOURCE_EXHAUSTED with a retry hint while a
 * well-behaved client on the same node gets every answer; connections per address are capped;
 * the SDK waits out a rate limit instead of failing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonClient } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { waitFor } from '../cluster/harness.js';
import { type Answer, RawClient } from './raw-client.js';
import { type SecureNode, startSingleNode } from './secure-node.js';

const HOOK_TIMEOUT_MS = 60_000;
const FLOOD = 'token-flood-0123456789abcdef';
const CALM = 'token-calm-0123456789abcdef';
const RATE_PER_CONNECTION = 200;
const RATE_PER_IDENTITY = 300;
const MAX_CONNECTIONS_PER_ADDRESS = 16;

let dir: string;
let node: SecureNode;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-limits-'));
  const tokens = join(dir, 'tokens.json');
  writeFileSync(
    tokens,
    JSON.stringify({
      tokens: [
        { name: 'flood', token: FLOOD, permissions: { '': ['lock'] } },
        { name: 'calm', token: CALM, permissions: { '': ['lock'] } },
      ],
    }),
  );
  node = await startSingleNode(dir, [
    ...['--auth-tokens', tokens, '--log-level', 'warn'],
    ...['--rate-limit', String(RATE_PER_CONNECTION), '--identity-rate-limit', String(RATE_PER_IDENTITY)],
    ...['--max-connections-per-address', String(MAX_CONNECTIONS_PER_ADDRESS)],
  ]);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await node?.kill();
  rmSync(dir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

/** Sends `count` describes at once on `c` (no waiting between them); resolves with every answer. */
function burst(c: RawClient, tag: string, count: number): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      c.send(`${tag}-${i}`, { v: 1, id: `${tag}-${i}`, type: 'lock.describe', name: `flood/${i % 10}` }, 60_000),
    ),
  );
}

/** A client that waits for each answer before the next request: acquire, describe, release. */
async function wellBehaved(rounds: number): Promise<Answer[]> {
  const c = await RawClient.hello(node.clientUrl, CALM);
  try {
    const answers: Answer[] = [];
    const open = await c.request('session.open', { ttlMs: 30_000 });
    answers.push(open);
    const sessionId = open.result?.sessionId;
    for (let i = 0; i < rounds; i++) {
      const got = await c.request('lock.acquire', { sessionId, name: `calm/${i}`, wait: false });
      answers.push(got);
      answers.push(await c.request('lock.describe', { name: `calm/${i}` }));
      answers.push(await c.request('lock.release', { sessionId, name: `calm/${i}`, token: got.result?.token }));
    }
    return answers;
  } finally {
    c.close();
  }
}

function refusals(answers: readonly Answer[], text: string): Answer[] {
  return answers.filter((a) => a.error?.code === 'RESOURCE_EXHAUSTED' && a.error.message.includes(text));
}

describe('per-client limits', () => {
  it('a client flooding one connection is refused with a retry hint; a well-behaved client gets every answer', async () => {
    const flooder = await RawClient.hello(node.clientUrl, FLOOD);
    try {
      const [flood, calm] = await Promise.all([burst(flooder, 'one', 1_500), wellBehaved(20)]);
      const refused = refusals(flood, 'on this connection');
      console.log(
        `limits: one connection flooding 1500: ${flood.filter((a) => a.ok).length} answered, ${refused.length} refused (rate), ` +
          `${calm.length} well-behaved requests all answered: ${calm.every((a) => a.ok)}`,
      );
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((a) => (a.error?.retryAfterMs ?? 0) > 0)).toBe(true);
      expect(flood.filter((a) => a.ok).length).toBeGreaterThan(0);
      expect(calm.filter((a) => !a.ok)).toEqual([]);
    } finally {
      flooder.close();
    }
  });

  it('a token flooding over several connections is refused as a whole; another token is not', async () => {
    const flooders = await Promise.all(Array.from({ length: 4 }, () => RawClient.hello(node.clientUrl, FLOOD)));
    try {
      // each connection stays under its own burst (2 s × 200/s); together they exceed the token's
      const [floods, calm] = await Promise.all([
        Promise.all(flooders.map((c, i) => burst(c, `many${i}`, 350))),
        wellBehaved(20),
      ]);
      const all = floods.flat();
      console.log(
        `limits: 4 connections × 350 with one token: ${all.filter((a) => a.ok).length} answered, ` +
          `${refusals(all, 'for this token').length} refused (token rate)`,
      );
      expect(refusals(all, 'for this token').length).toBeGreaterThan(0);
      expect(refusals(all, 'on this connection')).toEqual([]);
      expect(calm.filter((a) => !a.ok)).toEqual([]);
    } finally {
      for (const c of flooders) c.close();
    }
  });

  it('caps connections per remote address until some close', async () => {
    // wait for the connections of the tests above to be gone on the server side too
    const open = async (): Promise<WebSocket | number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(node.clientUrl);
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(-1));
      });
    const sockets: WebSocket[] = [];
    try {
      const refusedAt = await waitFor('the per-address cap', async () => {
        const r = await open();
        if (typeof r === 'number') return r;
        sockets.push(r);
        return sockets.length > MAX_CONNECTIONS_PER_ADDRESS ? -2 : null;
      });
      expect(refusedAt).toBe(429);
      expect(sockets.length).toBeLessThanOrEqual(MAX_CONNECTIONS_PER_ADDRESS);
      // the earlier tests' connections may still be closing: the cap is reached once all are counted
      expect(sockets.length).toBeGreaterThan(MAX_CONNECTIONS_PER_ADDRESS - 8);
      sockets.pop()?.close();
      const again = await waitFor('a slot to free up', async () => {
        const r = await open();
        return typeof r === 'number' ? null : r;
      });
      sockets.push(again);
    } finally {
      for (const s of sockets) s.terminate();
    }
  });

  it('the SDK waits out a rate limit (retryAfterMs) instead of failing', async () => {
    // wait for the sockets of the cap test to be released
    const client = await waitFor('a connection', () =>
      BatonClient.connect({ endpoints: [node.endpoint], token: CALM, requestTimeoutMs: 30_000 }).catch(() => null),
    );
    try {
      const reads = await Promise.all(Array.from({ length: 800 }, (_, i) => client.describe(`calm/${i % 5}`)));
      expect(reads).toHaveLength(800);
    } finally {
      await client.close();
    }
  });
});
