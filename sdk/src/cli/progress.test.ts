import { describe, expect, it } from 'vitest';
import { describeHolder, describeWait } from './progress.js';
import type { LockDescribeResult } from './sdk.js';

const base: LockDescribeResult = {
  name: 'jobs/report',
  kind: 'lock',
  limit: 1,
  generation: 4,
  holders: [{ sessionId: '7', token: 31, generation: 4, sinceMs: 12_000, metadata: { pid: 4242, host: 'web-1' } }],
  waiters: [
    { sessionId: '8', sinceMs: 5_000 },
    { sessionId: '9', sinceMs: 4_000 },
    { sessionId: '10', sinceMs: 1_000 },
  ],
  lockDelayRemainingMs: 0,
};

describe('describeWait', () => {
  it('says who holds it and how many wait ahead of this session', () => {
    expect(describeWait(base, '10', 'lock')).toBe(
      'waiting for jobs/report: held by pid 4242 on web-1 (token 31, 12s), 2 ahead',
    );
    expect(describeWait(base, '8', 'lock')).toBe(
      'waiting for jobs/report: held by pid 4242 on web-1 (token 31, 12s), next in line',
    );
  });

  it('counts every waiter when this session is not queued yet', () => {
    expect(describeWait(base, '99', 'lock')).toMatch(/, 3 ahead$/);
  });

  it('names a lock-delay when nobody holds the lock', () => {
    expect(describeWait({ ...base, holders: [], waiters: [], lockDelayRemainingMs: 4_500 }, '8', 'lock')).toBe(
      'waiting for jobs/report: lock-delay, 4.5s left, next in line',
    );
  });

  it('shows two semaphore holders and counts the rest', () => {
    const holder = base.holders[0]!;
    const many = { ...base, kind: 'semaphore' as const, limit: 3, holders: [holder, holder, holder] };
    expect(describeWait(many, '8', 'lock')).toMatch(/held by .*\), .*\) and 1 more, next in line$/);
  });

  it('speaks of leading and terms for elections', () => {
    const election = { ...base, kind: 'election' as const, holders: [{ ...base.holders[0]!, metadata: undefined }] };
    expect(describeWait(election, '9', 'lead')).toBe(
      'waiting to lead jobs/report: led by session 7 (term 31, 12s), 1 ahead',
    );
  });
});

describe('describeHolder', () => {
  it('uses owner, pid and host when the metadata has them', () => {
    const holder = { ...base.holders[0]!, metadata: { owner: 'cron', pid: 1, host: 'h' } };
    expect(describeHolder(holder)).toBe('cron pid 1 on h (token 31, 12s)');
  });
});
