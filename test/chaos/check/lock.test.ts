/**
 * The lock model on hand-made Baton histories: each bad one (the failures issue 6 names) must be
 * flagged, each good one — concurrent ones and ones with lost answers included — must pass.
 * Every bad history has a good twin that differs in one detail, so a check that flags
 * everything would fail here too.
 */
import { describe, expect, it } from 'vitest';
import { checkOperations } from './check.js';
import { lockModel } from './models/lock.js';
import { parseBatonJsonl } from './parse/baton-jsonl.js';
import { formatFailure } from './report.js';
import { type BatonRecord, jsonl, rec } from './testing/baton-lines.js';

function check(records: BatonRecord[]) {
  return checkOperations(lockModel, parseBatonJsonl(jsonl(records)), { checkAllPartitions: true });
}
const granted = (token: number) => ({ acquired: true, token, generation: 1 });
const released = { released: true };
const notHolder = { error: { code: 'NOT_HOLDER', message: 'no' } };

const cases: { name: string; bad: BatonRecord[]; good: BatonRecord[] }[] = [
  {
    name: 'two holders of a lock overlapping',
    bad: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('b', [2, 3], 'acquire', 'L', { session: 's2' }, granted(7)),
      rec('a', [4, 5], 'release', 'L', { session: 's1', token: 5 }, released),
    ],
    good: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('b', [2, 6], 'acquire', 'L', { session: 's2' }, granted(7)),
      rec('a', [4, 5], 'release', 'L', { session: 's1', token: 5 }, released),
    ],
  },
  {
    name: 'a fencing token going backwards',
    bad: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(10)),
      rec('a', [2, 3], 'release', 'L', { session: 's1', token: 10 }, released),
      rec('b', [4, 5], 'acquire', 'L', { session: 's2' }, granted(7)),
    ],
    good: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(10)),
      rec('a', [2, 3], 'release', 'L', { session: 's1', token: 10 }, released),
      rec('b', [4, 5], 'acquire', 'L', { session: 's2' }, granted(12)),
    ],
  },
  {
    name: 'a fencing token repeated',
    bad: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(10)),
      rec('a', [2, 3], 'release', 'L', { session: 's1', token: 10 }, released),
      rec('b', [4, 5], 'tryAcquire', 'L', { session: 's2' }, granted(10)),
    ],
    good: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(10)),
      rec('a', [2, 3], 'release', 'L', { session: 's1', token: 10 }, released),
      rec('b', [4, 5], 'tryAcquire', 'L', { session: 's2' }, granted(11)),
    ],
  },
  {
    name: 'an acknowledged acquire lost (describe shows nobody, no release or expiry)',
    bad: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('b', [2, 3], 'describe', 'L', {}, { holders: [] }),
    ],
    good: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('x', [1, null], 'expire', null, { session: 's1' }, null),
      rec('b', [2, 3], 'describe', 'L', {}, { holders: [] }),
    ],
  },
  {
    name: 'an acknowledged acquire lost (fenceCheck says not current)',
    bad: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('b', [2, 3], 'fenceCheck', 'L', { token: 5 }, { current: false, newestToken: 5 }),
    ],
    good: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('b', [2, 3], 'fenceCheck', 'L', { token: 5 }, { current: true, newestToken: 5 }),
    ],
  },
  {
    name: 'an acknowledged fenced write lost',
    bad: [
      rec('a', [0, 1], 'write', 'L', { token: 5, value: 'x' }, { accepted: true }),
      rec('b', [2, 3], 'read', 'L', {}, { value: null }),
    ],
    good: [
      rec('a', [0, 4], 'write', 'L', { token: 5, value: 'x' }, { accepted: true }),
      rec('b', [2, 3], 'read', 'L', {}, { value: null }),
    ],
  },
  {
    name: 'a stale fenced write accepted',
    bad: [
      rec('b', [0, 1], 'write', 'L', { token: 7, value: 'new' }, { accepted: true }),
      rec('a', [2, 3], 'write', 'L', { token: 5, value: 'old' }, { accepted: true }),
    ],
    good: [
      rec('b', [0, 1], 'write', 'L', { token: 7, value: 'new' }, { accepted: true }),
      rec('a', [2, 3], 'write', 'L', { token: 5, value: 'old' }, { accepted: false }),
      rec('c', [4, 5], 'read', 'L', {}, { value: 'new' }),
    ],
  },
  {
    name: 'a release by a stale token succeeding',
    bad: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('a', [2, 3], 'release', 'L', { session: 's1', token: 5 }, released),
      rec('a', [4, 5], 'acquire', 'L', { session: 's1' }, granted(9)),
      rec('a', [6, 7], 'release', 'L', { session: 's1', token: 5 }, released),
    ],
    good: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('a', [2, 3], 'release', 'L', { session: 's1', token: 5 }, released),
      rec('a', [4, 5], 'acquire', 'L', { session: 's1' }, granted(9)),
      rec('a', [6, 7], 'release', 'L', { session: 's1', token: 5 }, notHolder),
    ],
  },
  {
    name: 'NOT_HOLDER answered to the current holder',
    bad: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('a', [2, 3], 'release', 'L', { session: 's1', token: 5 }, notHolder),
    ],
    good: [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('a', [2, 3], 'release', 'L', { session: 's1', token: 5 }, released),
    ],
  },
  {
    name: 'a try refused on a free name',
    bad: [rec('a', [0, 1], 'tryAcquire', 'L', { session: 's1' }, { acquired: false })],
    good: [
      rec('b', [0, 1], 'acquire', 'L', { session: 's2' }, granted(3)),
      rec('a', [2, 3], 'tryAcquire', 'L', { session: 's1' }, { acquired: false }),
    ],
  },
  {
    name: 'a semaphore over its limit',
    bad: [
      rec('a', [0, 1], 'acquire', 'S', { session: 's1', limit: 2 }, granted(3)),
      rec('b', [0, 1], 'acquire', 'S', { session: 's2', limit: 2 }, granted(4)),
      rec('c', [2, 3], 'acquire', 'S', { session: 's3', limit: 2 }, granted(6)),
    ],
    good: [
      rec('a', [0, 1], 'acquire', 'S', { session: 's1', limit: 2 }, granted(3)),
      rec('b', [0, 1], 'acquire', 'S', { session: 's2', limit: 2 }, granted(4)),
      rec('c', [2, 3], 'tryAcquire', 'S', { session: 's3', limit: 2 }, { acquired: false }),
    ],
  },
  {
    name: 'two election leaders at once',
    bad: [
      rec('a', [0, 1], 'campaign', 'E', { session: 's1', value: 'a' }, { term: 4 }),
      rec('b', [2, 3], 'campaign', 'E', { session: 's2', value: 'b' }, { term: 6 }),
      rec('c', [4, 5], 'leader', 'E', {}, { leader: { sessionId: 's1', value: 'a', term: 4 } }),
    ],
    good: [
      rec('a', [0, 1], 'campaign', 'E', { session: 's1', value: 'a' }, { term: 4 }),
      rec('b', [2, 9], 'campaign', 'E', { session: 's2', value: 'b' }, { term: 6 }),
      rec('c', [4, 5], 'leader', 'E', {}, { leader: { sessionId: 's1', value: 'a', term: 4 } }),
      rec('a', [6, 7], 'resign', 'E', { session: 's1', term: 4 }, { resigned: true }),
    ],
  },
  {
    name: 'a proclaimed value lost',
    bad: [
      rec('a', [0, 1], 'campaign', 'E', { session: 's1', value: 'a' }, { term: 4 }),
      rec('a', [2, 3], 'proclaim', 'E', { session: 's1', term: 4, value: 'a2' }, { term: 4, value: 'a2' }),
      rec('c', [4, 5], 'leader', 'E', {}, { leader: { sessionId: 's1', value: 'a', term: 4 } }),
    ],
    good: [
      rec('a', [0, 1], 'campaign', 'E', { session: 's1', value: 'a' }, { term: 4 }),
      rec('a', [2, 5], 'proclaim', 'E', { session: 's1', term: 4, value: 'a2' }, { term: 4, value: 'a2' }),
      rec('c', [4, 5], 'leader', 'E', {}, { leader: { sessionId: 's1', value: 'a', term: 4 } }),
    ],
  },
];

describe('hand-made Baton histories', () => {
  for (const c of cases) {
    it(`flags ${c.name}`, () => {
      const checked = check(c.bad);
      expect(checked.result).toBe('illegal');
      const window = formatFailure(lockModel, checked.failures[0]!);
      expect(window).toMatch(/^partition "[LSE]"/);
    });
    it(`passes its good twin (${c.name})`, () => {
      expect(check(c.good).result).toBe('ok');
    });
  }
});

describe('lost answers (unknown outcomes)', () => {
  it('explains a refused try by an acquire whose answer was lost', () => {
    const h = [
      rec('a', [0, null], 'acquire', 'L', { session: 's1' }, null),
      rec('b', [5, 6], 'tryAcquire', 'L', { session: 's2' }, { acquired: false }),
      rec('x', [7, 9], 'expire', null, { session: 's1' }, {}),
      rec('b', [10, 11], 'acquire', 'L', { session: 's2' }, granted(20)),
    ];
    expect(check(h).result).toBe('ok');
  });

  it('lets an acquire whose answer was lost never take effect', () => {
    const h = [
      rec('a', [0, null], 'acquire', 'L', { session: 's1' }, null),
      rec('b', [5, 6], 'acquire', 'L', { session: 's2' }, granted(7)),
      rec('b', [7, 8], 'release', 'L', { session: 's2', token: 7 }, released),
    ];
    expect(check(h).result).toBe('ok');
  });

  it('still sees a lost grant as a holder: a later overlapping grant needs it gone', () => {
    // the try saw the name full, so s1's lost acquire did take effect; nothing freed it
    const h = [
      rec('a', [0, null], 'acquire', 'L', { session: 's1' }, null),
      rec('b', [5, 6], 'tryAcquire', 'L', { session: 's2' }, { acquired: false }),
      rec('b', [10, 11], 'acquire', 'L', { session: 's2' }, granted(20)),
    ];
    expect(check(h).result).toBe('illegal');
  });

  it('keeps a lost grant’s token below every later token', () => {
    const h = [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('a', [2, 3], 'release', 'L', { session: 's1', token: 5 }, released),
      rec('b', [4, null], 'acquire', 'L', { session: 's2' }, null),
      rec('c', [6, 7], 'fenceCheck', 'L', { token: 4 }, { current: true }),
    ];
    expect(check(h).result).toBe('illegal');
    h[3] = rec('c', [6, 7], 'fenceCheck', 'L', { token: 6 }, { current: true });
    expect(check(h).result).toBe('ok');
  });

  it('a session end frees every name it held, and only that session’s', () => {
    const h = [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('a', [0, 1], 'acquire', 'M', { session: 's1' }, granted(6)),
      rec('c', [0, 1], 'acquire', 'N', { session: 's3' }, granted(7)),
      rec('x', [2, 3], 'close', null, { session: 's1' }, {}),
      rec('b', [4, 5], 'acquire', 'L', { session: 's2' }, granted(8)),
      rec('b', [4, 5], 'acquire', 'M', { session: 's2' }, granted(9)),
    ];
    expect(check(h).result).toBe('ok');
    h.push(rec('b', [4, 5], 'tryAcquire', 'N', { session: 's2' }, granted(10)));
    expect(check(h).result).toBe('illegal');
  });

  it('a session end that failed frees nothing', () => {
    const h = [
      rec('a', [0, 1], 'acquire', 'L', { session: 's1' }, granted(5)),
      rec('x', [2, 3], 'close', null, { session: 's1' }, { error: 'UNAVAILABLE' }),
      rec('b', [4, 5], 'tryAcquire', 'L', { session: 's2' }, granted(8)),
    ];
    expect(check(h).result).toBe('illegal');
  });
});
