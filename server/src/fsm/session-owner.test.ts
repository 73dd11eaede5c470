import { LIMITS } from '@baton/proto-schemas';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from './bytes.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { FsmDecodeError } from './errors.js';
import { CoordinationFsm } from './fsm.js';
import { FsmHarness } from './test-harness.js';
import type { Actor, Command } from './types.js';

const ALICE: Actor = { identity: 'alice', admin: false };
const BOB: Actor = { identity: 'bob', admin: false };
const OPS: Actor = { identity: 'ops', admin: true };

/** Every client command that names a session, aimed at `sessionId`. */
function sessionCommands(sessionId: number): Command[] {
  return [
    { op: 'acquire', sessionId, name: 'job', limit: 1, wait: true, lockDelayMs: 0 },
    { op: 'release', sessionId, name: 'held', token: 0 },
    { op: 'cancelWait', sessionId, name: 'queued' },
    { op: 'campaign', sessionId, name: 'primary', value: 'x' },
    { op: 'proclaim', sessionId, name: 'led', term: 0, value: 'y' },
    { op: 'resign', sessionId, name: 'led', term: 0 },
    { op: 'closeSession', sessionId },
  ];
}

/** alice's session holding `held`, waiting on `queued`, leading `led`; returns its id and tokens. */
function aliceSetup(h: FsmHarness): { session: number; held: number; term: number } {
  const session = h.clientAs(ALICE, 'a', { op: 'openSession', ttlMs: 10_000 });
  if (!session.ok) throw new Error(session.message);
  const id = session.value.sessionId;
  const other = h.open(10_000, 'x');
  h.lock(other, 'queued');
  const held = h.clientAs(ALICE, 'a', {
    op: 'acquire',
    sessionId: id,
    name: 'held',
    limit: 1,
    wait: false,
    lockDelayMs: 0,
  });
  h.clientAs(ALICE, 'a', { op: 'acquire', sessionId: id, name: 'queued', limit: 1, wait: true, lockDelayMs: 0 });
  const led = h.clientAs(ALICE, 'a', { op: 'campaign', sessionId: id, name: 'led', value: 'v' });
  if (!held.ok || !held.value.acquired || !led.ok || !led.value.elected) throw new Error('setup failed');
  return { session: id, held: held.value.token, term: led.value.term };
}

function withTokens(c: Command, held: number, term: number): Command {
  if (c.op === 'release') return { ...c, token: held };
  if (c.op === 'proclaim' || c.op === 'resign') return { ...c, term };
  return c;
}

describe('sessions bound to the identity that opened them', () => {
  it('another identity is refused PERMISSION_DENIED on every command naming the session, and nothing changes', () => {
    const h = new FsmHarness();
    const { session, held, term } = aliceSetup(h);
    expect(h.fsm.sessionOwner(session)).toBe('alice');
    for (const c of sessionCommands(session)) {
      const before = h.fsm.describe('held', 0);
      const sessionsBefore = h.fsm.sessions();
      const r = h.clientAs(BOB, 'b', withTokens(c, held, term));
      expect(r, c.op).toMatchObject({ ok: false, code: 'PERMISSION_DENIED' });
      expect(h.events, c.op).toEqual([]);
      expect(h.fsm.describe('held', 0)).toEqual(before);
      expect(h.fsm.sessions()).toEqual(sessionsBefore);
    }
    expect(h.fsm.sessionHolds(session)).toEqual([
      { name: 'held', token: held, waiting: false },
      { name: 'led', token: term, waiting: false },
      { name: 'queued', token: null, waiting: true },
    ]);
  });

  it('the owner, an admin, and a command without an actor may act on it', () => {
    for (const actor of [ALICE, OPS, undefined]) {
      const h = new FsmHarness();
      const { session, held, term } = aliceSetup(h);
      for (const c of sessionCommands(session)) {
        const r = h.clientAs(actor, 'b', withTokens(c, held, term));
        expect(r.ok || r.code !== 'PERMISSION_DENIED', `${actor?.identity}: ${c.op}`).toBe(true);
      }
      expect(h.fsm.hasSession(session)).toBe(false);
    }
  });

  it('a session opened without an actor (auth off, or before binding) is unbound: anyone may use it', () => {
    const h = new FsmHarness();
    const session = h.open();
    expect(h.fsm.sessionOwner(session)).toBeNull();
    const r = h.clientAs(BOB, 'b', {
      op: 'acquire',
      sessionId: session,
      name: 'job',
      limit: 1,
      wait: false,
      lockDelayMs: 0,
    });
    expect(r).toMatchObject({ ok: true, value: { acquired: true } });
  });

  it('an admin opening a session binds it to the admin identity', () => {
    const h = new FsmHarness();
    const r = h.clientAs(OPS, 'o', { op: 'openSession', ttlMs: 10_000 });
    if (!r.ok) throw new Error(r.message);
    expect(h.fsm.sessionOwner(r.value.sessionId)).toBe('ops');
    expect(h.clientAs(BOB, 'b', { op: 'closeSession', sessionId: r.value.sessionId })).toMatchObject({
      code: 'PERMISSION_DENIED',
    });
  });

  it('a refused retry answers the same (exactly once), and the owner can still act afterwards', () => {
    const h = new FsmHarness();
    const { session } = aliceSetup(h);
    const first = h.clientAs(BOB, 'b', { op: 'closeSession', sessionId: session });
    const again = h.clientAs(BOB, 'b', { op: 'closeSession', sessionId: session }, h.lastSeq('b'));
    expect(again).toEqual(first);
    expect(h.clientAs(ALICE, 'a', { op: 'closeSession', sessionId: session })).toMatchObject({ ok: true });
  });
});

describe('the owner in entries and snapshots', () => {
  it('a snapshot keeps owners (format 2), byte for byte through restore', () => {
    const h = new FsmHarness();
    const { session } = aliceSetup(h);
    const bytes = h.fsm.snapshot();
    expect(bytes[4]).toBe(2);
    const restored = CoordinationFsm.restore(bytes);
    expect(restored.sessionOwner(session)).toBe('alice');
    expect(Buffer.from(restored.snapshot()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('without owners the snapshot stays format 1, and a format-1 snapshot loads with sessions unbound', () => {
    const h = new FsmHarness();
    const session = h.open();
    h.lock(session, 'job');
    const bytes = h.fsm.snapshot();
    expect(bytes[4]).toBe(1);
    const restored = CoordinationFsm.restore(bytes);
    expect(restored.sessionOwner(session)).toBeNull();
    expect(restored.hasSession(session)).toBe(true);
  });

  it('an entry with an actor round-trips; one without keeps the format-1 bytes', () => {
    const cmd: Command = { op: 'closeSession', sessionId: 7 };
    const withActor = encodeEnvelope({ clientId: 'c', seq: 1, atMs: 5, cmd, actor: BOB });
    expect(decodeEnvelope(withActor)).toEqual({ clientId: 'c', seq: 1, atMs: 5, cmd, actor: BOB });
    const plain = encodeEnvelope({ clientId: 'c', seq: 1, atMs: 5, cmd });
    expect(plain[0]).toBe(0xb1);
    expect(decodeEnvelope(plain)).toEqual({ clientId: 'c', seq: 1, atMs: 5, cmd });
  });

  it('an actor identity that is empty or too long is refused at decode', () => {
    const cmd: Command = { op: 'closeSession', sessionId: 7 };
    for (const identity of ['', 'x'.repeat(LIMITS.maxIdentityBytes + 1)]) {
      const w = new ByteWriter();
      const base = encodeEnvelope({ clientId: 'c', seq: 1, atMs: 5, cmd });
      w.raw(base);
      w.str(identity);
      w.bool(false);
      const bytes = w.finish();
      bytes[0] = 0xb2;
      expect(() => decodeEnvelope(bytes), identity.slice(0, 3)).toThrow(FsmDecodeError);
    }
  });
});
