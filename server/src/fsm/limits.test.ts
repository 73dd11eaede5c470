import { LIMITS } from '@baton/proto-schemas';
import { describe, expect, it } from 'vitest';
import { checkFsmInvariants } from './fsm.js';
import { FsmHarness } from './test-harness.js';
import type { Command } from './types.js';

function acquireCmd(sessionId: number, name: string, extra: Partial<Extract<Command, { op: 'acquire' }>> = {}) {
  return { op: 'acquire', sessionId, name, limit: 1, wait: true, lockDelayMs: 0, ...extra } as const;
}

describe('limits', () => {
  it('names: 1..maxNameBytes bytes of UTF-8, no control characters', () => {
    const h = new FsmHarness();
    const s = h.open();
    const bad = ['', 'x'.repeat(LIMITS.maxNameBytes + 1), 'é'.repeat(LIMITS.maxNameBytes / 2 + 1), 'a\nb', 'a\u0085'];
    for (const name of bad) {
      expect(h.leader(acquireCmd(s, name)), JSON.stringify(name)).toMatchObject({
        ok: false,
        code: 'INVALID_ARGUMENT',
      });
    }
    expect(h.leader(acquireCmd(s, 'x'.repeat(LIMITS.maxNameBytes))).ok).toBe(true);
    expect(h.leader(acquireCmd(s, 'é'.repeat(LIMITS.maxNameBytes / 2))).ok).toBe(true);
    expect(h.fsm.stats().names).toBe(2);
  });

  it('acquire arguments: limit, lockDelayMs, metadata size', () => {
    const h = new FsmHarness();
    const s = h.open();
    const bad: Partial<Extract<Command, { op: 'acquire' }>>[] = [
      { limit: 0 },
      { limit: LIMITS.maxSemaphoreLimit + 1 },
      { limit: 1.5 },
      { lockDelayMs: -1 },
      { lockDelayMs: LIMITS.maxLockDelayMs + 1 },
      { metadata: { owner: 'x'.repeat(LIMITS.maxMetadataBytes) } },
    ];
    const before = h.state();
    for (const extra of bad) {
      expect(h.leader(acquireCmd(s, 'x', extra)), JSON.stringify(extra)).toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(h.state()).toBe(before);
    expect(
      h.leader(acquireCmd(s, 'x', { limit: LIMITS.maxSemaphoreLimit, lockDelayMs: LIMITS.maxLockDelayMs })).ok,
    ).toBe(true);
  });

  it(`at most maxWaitersPerName (${LIMITS.maxWaitersPerName}) waiters per name`, () => {
    const h = new FsmHarness();
    h.checks = false;
    const holder = h.open();
    h.lock(holder, 'x');
    const sessions: number[] = [];
    for (let i = 0; i <= LIMITS.maxWaitersPerName; i++) {
      const r = h.leader({ op: 'openSession', ttlMs: 5_000 });
      if (r.ok) sessions.push(r.value.sessionId);
    }
    for (const s of sessions.slice(0, LIMITS.maxWaitersPerName)) h.leader(acquireCmd(s, 'x'));
    expect(h.fsm.describe('x', 0).waiters).toHaveLength(LIMITS.maxWaitersPerName);
    const last = sessions[LIMITS.maxWaitersPerName] as number;
    expect(h.leader(acquireCmd(last, 'x'))).toMatchObject({ ok: false, code: 'RESOURCE_EXHAUSTED' });
    expect(h.leader({ op: 'campaign', sessionId: last, name: 'x', value: '' })).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    // a try still answers (it would not queue)
    expect(h.leader(acquireCmd(last, 'x', { wait: false }))).toEqual({
      ok: true,
      value: { acquired: false, waiting: false },
    });
    expect(checkFsmInvariants(h.fsm)).toEqual([]);
  });

  it(`at most maxNames (${LIMITS.maxNames}) names; the longest-idle name is evicted for a new one`, () => {
    const h = new FsmHarness();
    h.checks = false;
    const s = h.open();
    const tokens: number[] = [];
    for (let i = 0; i < LIMITS.maxNames; i++) {
      const r = h.leader(acquireCmd(s, `n${i}`));
      if (r.ok && r.value.acquired) tokens.push(r.value.token);
    }
    expect(h.fsm.stats().names).toBe(LIMITS.maxNames);
    const before = h.state();
    expect(h.leader(acquireCmd(s, 'one-more'))).toMatchObject({ ok: false, code: 'RESOURCE_EXHAUSTED' });
    expect(h.leader({ op: 'campaign', sessionId: s, name: 'one-more', value: 'v' })).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
    });
    expect(h.state()).toBe(before);
    // two names become idle: n7 first, then n3; the first to go idle is the first evicted
    h.leader({ op: 'release', sessionId: s, name: 'n7', token: tokens[7] as number });
    h.leader({ op: 'release', sessionId: s, name: 'n3', token: tokens[3] as number });
    expect(h.leader(acquireCmd(s, 'one-more')).ok).toBe(true);
    expect(h.fsm.describe('n7', 0).kind).toBeNull();
    expect(h.fsm.describe('n3', 0)).toMatchObject({ kind: 'lock', generation: 1 });
    expect(h.fsm.stats().names).toBe(LIMITS.maxNames);
    expect(checkFsmInvariants(h.fsm)).toEqual([]);
  });

  it(`at most maxSessions (${LIMITS.maxSessions}) sessions`, () => {
    const h = new FsmHarness();
    h.checks = false;
    for (let i = 0; i < LIMITS.maxSessions; i++) h.leader({ op: 'openSession', ttlMs: 5_000 });
    expect(h.fsm.stats().sessions).toBe(LIMITS.maxSessions);
    expect(h.leader({ op: 'openSession', ttlMs: 5_000 })).toMatchObject({ ok: false, code: 'RESOURCE_EXHAUSTED' });
    h.leader({ op: 'expireSession', sessionId: 1 });
    expect(h.leader({ op: 'openSession', ttlMs: 5_000 }).ok).toBe(true);
  });
});
