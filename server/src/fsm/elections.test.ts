import { describe, expect, it } from 'vitest';
import { FsmHarness } from './test-harness.js';
import type { FsmEvent } from './types.js';

function changes(events: FsmEvent[]): unknown[] {
  return events.flatMap((e) => (e.kind === 'electionChanged' ? [e.leader] : []));
}

describe('elections', () => {
  it('campaign, observe, proclaim, resign: every change is announced, including no leader', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const ra = h.ok('c', { op: 'campaign', sessionId: a, name: 'primary', value: 'a:8080' });
    const termA = h.index;
    expect(ra).toEqual({ elected: true, term: termA, generation: 1 });
    expect(h.events).toEqual([
      { kind: 'granted', sessionId: a, name: 'primary', token: termA, generation: 1, election: true },
      { kind: 'electionChanged', name: 'primary', leader: { sessionId: a, value: 'a:8080', term: termA } },
    ]);
    expect(h.ok('c', { op: 'campaign', sessionId: b, name: 'primary', value: 'b:8080' })).toEqual({
      elected: false,
      waiting: true,
    });
    expect(h.events).toEqual([]);

    expect(h.ok('c', { op: 'proclaim', sessionId: a, name: 'primary', term: termA, value: 'a:9090' })).toEqual({
      term: termA,
      value: 'a:9090',
    });
    expect(changes(h.events)).toEqual([{ sessionId: a, value: 'a:9090', term: termA }]);
    expect(h.fsm.electionLeader('primary')).toEqual({ sessionId: a, value: 'a:9090', term: termA, generation: 1 });

    expect(h.ok('c', { op: 'resign', sessionId: a, name: 'primary', term: termA })).toEqual({ resigned: true });
    const termB = h.index;
    expect(changes(h.events)).toEqual([{ sessionId: b, value: 'b:8080', term: termB }]);
    expect(termB).toBeGreaterThan(termA);

    h.ok('c', { op: 'resign', sessionId: b, name: 'primary', term: termB });
    expect(changes(h.events)).toEqual([null]);
    expect(h.fsm.electionLeader('primary')).toBeNull();
  });

  it('proclaim or resign with a term that is not current says NOT_HOLDER and changes nothing', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    h.ok('c', { op: 'campaign', sessionId: a, name: 'p', value: 'a' });
    const term = h.index;
    h.ok('c', { op: 'campaign', sessionId: b, name: 'p', value: 'b' });
    const before = h.state();
    expect(h.leader({ op: 'proclaim', sessionId: a, name: 'p', term: term - 1, value: 'z' })).toMatchObject({
      ok: false,
      code: 'NOT_HOLDER',
    });
    expect(h.leader({ op: 'proclaim', sessionId: b, name: 'p', term, value: 'z' })).toMatchObject({
      code: 'NOT_HOLDER',
    });
    expect(h.leader({ op: 'resign', sessionId: b, name: 'p', term })).toMatchObject({ code: 'NOT_HOLDER' });
    expect(h.leader({ op: 'resign', sessionId: a, name: 'nope', term })).toMatchObject({ code: 'NOT_HOLDER' });
    expect(h.state()).toBe(before);
  });

  it('a leader whose session expires is followed by the next candidate in the same entry', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const c = h.open();
    h.ok('c', { op: 'campaign', sessionId: a, name: 'p', value: 'a' });
    h.ok('c', { op: 'campaign', sessionId: b, name: 'p', value: 'b' });
    h.ok('c', { op: 'campaign', sessionId: c, name: 'p', value: 'c' });
    h.leader({ op: 'expireSession', sessionId: a });
    expect(changes(h.events)).toEqual([{ sessionId: b, value: 'b', term: h.index }]);
    h.client('c', { op: 'closeSession', sessionId: b });
    expect(changes(h.events)).toEqual([{ sessionId: c, value: 'c', term: h.index }]);
    h.leader({ op: 'expireSession', sessionId: c });
    expect(changes(h.events)).toEqual([null]);
  });

  it('a repeated campaign returns the leadership it has, or waiting; it never queues twice', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    h.ok('c', { op: 'campaign', sessionId: a, name: 'p', value: 'a' });
    const term = h.index;
    expect(h.ok('c', { op: 'campaign', sessionId: a, name: 'p', value: 'other' })).toEqual({
      elected: true,
      term,
      generation: 1,
    });
    h.ok('c', { op: 'campaign', sessionId: b, name: 'p', value: 'b' });
    h.ok('c', { op: 'campaign', sessionId: b, name: 'p', value: 'b' });
    expect(h.fsm.describe('p', 0).waiters).toHaveLength(1);
    expect(h.fsm.electionLeader('p')?.value).toBe('a');
  });

  it('a candidate that stops waiting leaves the queue; one elected meanwhile stays elected', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const c = h.open();
    h.ok('c', { op: 'campaign', sessionId: a, name: 'p', value: 'a' });
    const termA = h.index;
    h.ok('c', { op: 'campaign', sessionId: b, name: 'p', value: 'b' });
    h.ok('c', { op: 'campaign', sessionId: c, name: 'p', value: 'c' });
    expect(h.ok('c', { op: 'cancelWait', sessionId: c, name: 'p' })).toEqual({ cancelled: true });
    h.ok('c', { op: 'resign', sessionId: a, name: 'p', term: termA });
    const termB = h.index;
    expect(h.ok('c', { op: 'cancelWait', sessionId: b, name: 'p' })).toEqual({ notWaiting: true });
    expect(changes(h.events)).toEqual([]);
    expect(h.fsm.electionLeader('p')?.term).toBe(termB);
  });

  it('values are bounded by maxValueBytes', () => {
    const h = new FsmHarness();
    const a = h.open();
    expect(h.client('c', { op: 'campaign', sessionId: a, name: 'p', value: 'v'.repeat(5000) })).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
