/**
 * Bad input at a live node: generated malformed frames (fast-check) each get a typed error, the
 * connection survives, the node keeps serving everyone, and nothing in the replicated state
 * changes. Oversized frames close only their own connection with 1009.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaderClient, TestCluster, WsClient, waitFor } from './harness.js';

/** A valid request of each kind for the connection under test; the generators break them. */
function validRequests(sessionId: string): Record<string, unknown>[] {
  return [
    { type: 'session.open', seq: 1, ttlMs: 5_000 },
    { type: 'session.keepalive', sessionId },
    { type: 'session.close', seq: 1, sessionId },
    { type: 'lock.acquire', seq: 1, sessionId, name: 'fuzz', wait: false },
    { type: 'lock.release', seq: 1, sessionId, name: 'fuzz', token: 1 },
    { type: 'lock.describe', name: 'fuzz' },
    { type: 'lock.fenceCheck', name: 'fuzz', token: 1 },
    { type: 'election.campaign', seq: 1, sessionId, name: 'fuzz-e', value: 'v' },
    { type: 'election.proclaim', seq: 1, sessionId, name: 'fuzz-e', term: 1, value: 'v' },
    { type: 'election.resign', seq: 1, sessionId, name: 'fuzz-e', term: 1 },
  ];
}

const wrongValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.constantFrom(-1, 0, 1.5, Number.MAX_SAFE_INTEGER * 4, -1e308),
  fc.string({ maxLength: 20 }),
  fc.constant('x'.repeat(5_000)),
  fc.constant('\u0000\u0007'),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);

/** Frames that cannot be valid: each breaks a valid request in one specific way, or is no request at all. */
function malformedFrame(sessionId: string): fc.Arbitrary<(id: string) => string> {
  const base = fc.constantFrom(...validRequests(sessionId));
  const broken = fc.tuple(base, fc.nat(), fc.nat({ max: 5 }), wrongValue, fc.string({ minLength: 1, maxLength: 12 }));
  return broken.map(([req, pick, how, value, key]) => {
    const frame: Record<string, unknown> = { v: 1, id: '', ...req };
    const fields = Object.keys(req).filter((k) => k !== 'type');
    const field = fields[pick % Math.max(1, fields.length)] ?? 'type';
    switch (how) {
      case 0: // a required field goes missing
        delete frame[field];
        break;
      case 1: // a field gets a value of the wrong type or out of range (never the valid one)
        frame[field] = typeof value === typeof frame[field] ? [value] : value;
        break;
      case 2: // an unknown key (strict objects refuse it)
        frame[`zz_${key}`] = 1;
        break;
      case 3: // an unknown type
        frame.type = `bogus.${key}`;
        break;
      case 4: // the wrong protocol version
        frame.v = 2;
        break;
      default: // a name over the byte limit (multibyte characters)
        frame.name = 'é'.repeat(200);
        if (!('name' in req)) frame.type = 'lock.describe';
        break;
    }
    // every frame gets a unique id when sent, so each answer can be matched to its frame
    return (id: string) => JSON.stringify({ ...frame, id });
  });
}

const garbage = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom('', '{', '[]', 'null', '{"v":1}', '{"__proto__":{"polluted":1},"v":1,"id":"p","type":"status"}'),
);

const FRAMES = Number(process.env.BATON_FUZZ_FRAMES ?? 10_000);

describe('bad input at a live node', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    // 10,000 frames as fast as one connection can send them: the per-connection rate limit
    // (test/security/limits.test.ts) is off here so every frame reaches the parser
    cluster = await TestCluster.start(1, ['--rate-limit', '0']);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it(`${FRAMES} generated malformed frames: typed errors, the node serves on, state unchanged`, async () => {
    const c = await leaderClient(cluster);
    const observer = await leaderClient(cluster);
    const open = await observer.request('session.open', { ttlMs: 60_000 });
    const sessionId = open.result?.sessionId as string;
    const held = await observer.request('lock.acquire', { sessionId, name: 'fuzz', wait: false });
    expect(held.ok).toBe(true);
    const before = await cluster.nodes[0]!.status();
    const describeBefore = await observer.request('lock.describe', { name: 'fuzz' });

    const seed = Number(process.env.BATON_FUZZ_SEED ?? 20261127);
    console.log(`bad-input fuzz: seed ${seed} (replay: BATON_FUZZ_SEED=${seed} npm test -w test -- cluster/bad-input)`);
    const frames = fc.sample(malformedFrame(sessionId), { numRuns: Math.ceil(FRAMES * 0.8), seed });
    const junk = fc.sample(garbage, { numRuns: FRAMES - frames.length, seed: seed + 1 });
    const codes = new Map<string, number>();
    // send in bounded batches and check every answer is a typed refusal
    const BATCH = 500;
    for (let i = 0; i < frames.length; i += BATCH) {
      const answers = await Promise.all(
        frames.slice(i, i + BATCH).map((make, j) => c.sendFrame(`m${i + j}`, make(`m${i + j}`))),
      );
      for (const a of answers) {
        expect(a.ok, JSON.stringify(a)).toBe(false);
        codes.set(a.error!.code, (codes.get(a.error!.code) ?? 0) + 1);
      }
    }
    for (const text of junk) c.ws.send(text);
    // every junk frame is answered too (unmatched: its id could not be read, or is no request of ours)
    const answered = await new Promise<number>((resolve) => {
      const deadline = Date.now() + 30_000;
      const poll = (): void => {
        if (c.unmatched.length >= junk.length || Date.now() > deadline) resolve(c.unmatched.length);
        else setTimeout(poll, 20);
      };
      poll();
    });
    expect(answered).toBeGreaterThanOrEqual(junk.length);
    expect(c.unmatched.every((r) => r.ok === false || r.ok === true)).toBe(true);
    console.log(`bad-input fuzz: error codes ${JSON.stringify(Object.fromEntries(codes))}`);
    expect([...codes.keys()].every((k) => ['INVALID_ARGUMENT', 'UNSUPPORTED_VERSION'].includes(k))).toBe(true);

    // the connection survived and the node still serves, with nothing changed
    expect(c.closeCode).toBeNull();
    expect((await c.request('status')).ok).toBe(true);
    const after = await cluster.nodes[0]!.status();
    expect(after?.commitIndex).toBe(before?.commitIndex);
    const describeAfter = await observer.request('lock.describe', { name: 'fuzz' });
    const shape = (r: typeof describeAfter) => ({
      generation: r.result?.generation,
      waiters: r.result?.waiters,
      holders: ((r.result?.holders ?? []) as { sessionId: string; token: number }[]).map((h) => [h.sessionId, h.token]),
    });
    expect(shape(describeAfter)).toEqual(shape(describeBefore));
    c.close();
    observer.close();
  });

  it('an oversized frame closes only its own connection with 1009', async () => {
    const big = await leaderClient(cluster);
    const other = await leaderClient(cluster);
    const closed = new Promise<number>((r) => big.ws.once('close', (code) => r(code)));
    big.ws.send(JSON.stringify({ v: 1, id: 'big', type: 'status', pad: 'x'.repeat(200_000) }));
    expect(await closed).toBe(1009);
    expect((await other.request('status')).ok).toBe(true);
    other.close();
  });

  it('requests before hello and floods beyond the in-flight limit get typed errors', async () => {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(cluster.nodes[0]!.clientUrl);
    await new Promise((r) => ws.once('open', r));
    const first = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send(JSON.stringify({ v: 1, id: 'x', type: 'status' }));
    expect(JSON.parse(await first)).toMatchObject({ id: 'x', ok: false, error: { code: 'INVALID_ARGUMENT' } });
    ws.close();

    // a flood of waiting acquires: the in-flight limit answers the excess at once, nothing queues unbounded
    const LIMIT = 256; // LIMITS.maxInflightRequestsPerConnection
    const EXTRA = 6;
    const holder = await WsClient.connect(cluster.nodes[0]!.clientUrl);
    const hs = (await holder.request('session.open', { ttlMs: 60_000 })).result?.sessionId;
    await Promise.all(
      Array.from({ length: LIMIT + EXTRA }, (_, i) =>
        holder.request('lock.acquire', { sessionId: hs, name: `flood-${i}`, wait: false }),
      ),
    );
    const c = await WsClient.connect(cluster.nodes[0]!.clientUrl);
    const cs = (await c.request('session.open', { ttlMs: 60_000 })).result?.sessionId;
    const refused: string[] = [];
    for (let i = 0; i < LIMIT + EXTRA; i++) {
      c.request('lock.acquire', { sessionId: cs, name: `flood-${i}`, wait: true }, 60_000).then(
        (r) => refused.push(r.error?.code ?? 'OK'),
        () => {},
      );
    }
    await waitFor('the excess refused', () => (refused.length >= EXTRA ? true : null));
    expect(refused).toEqual(Array.from({ length: EXTRA }, () => 'RESOURCE_EXHAUSTED'));
    // the node serves other connections meanwhile
    const other = await WsClient.connect(cluster.nodes[0]!.clientUrl);
    expect((await other.request('lock.describe', { name: 'flood-0' })).result?.waiters).toHaveLength(1);
    other.close();
    c.ws.terminate();
    holder.close();
  });
});
