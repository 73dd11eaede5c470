import { describe, expect, it } from 'vitest';
import { formatDescribe } from './commands/describe.js';
import { formatStatus } from './commands/status.js';
import { formatFields, formatTable } from './table.js';

describe('formatTable', () => {
  it('aligns columns and trims trailing space', () => {
    expect(
      formatTable(
        ['A', 'LONGER', 'C'],
        [
          ['xxxx', 'y', ''],
          ['z', 'w', 'v'],
        ],
      ),
    ).toBe(['A     LONGER  C', 'xxxx  y', 'z     w       v'].join('\n'));
  });

  it('aligns field names', () => {
    expect(
      formatFields([
        ['a', '1'],
        ['bbb', '2'],
      ]),
    ).toBe('a    1\nbbb  2');
  });
});

describe('formatDescribe', () => {
  it('shows holders with tokens and waiters in FIFO order', () => {
    const text = formatDescribe({
      name: 'jobs/report',
      kind: 'lock',
      limit: 1,
      generation: 3,
      holders: [{ sessionId: '7', token: 31, generation: 3, sinceMs: 1_500, metadata: { owner: 'cron', pid: 9 } }],
      waiters: [{ sessionId: '8', sinceMs: 200 }],
      lockDelayRemainingMs: 0,
    });
    expect(text).toContain('kind        lock');
    expect(text).toMatch(
      /holders \(1\/1\):\n {2}TOKEN +GENERATION +SESSION +FOR +OWNER\n {2}31 +3 +7 +1\.5s +cron · pid 9/,
    );
    expect(text).toMatch(/waiters \(1, first is next\):\n {2}# +SESSION +WAITING +OWNER\n {2}1 +8 +200ms +-/);
  });

  it('shows an election leader with its value and a free name briefly', () => {
    const election = formatDescribe(
      {
        name: 'workers/primary',
        kind: 'election',
        limit: 1,
        generation: 2,
        holders: [{ sessionId: '5', token: 40, generation: 2, sinceMs: 10 }],
        waiters: [],
        lockDelayRemainingMs: 0,
      },
      { sessionId: '5', value: 'worker-a', term: 40 },
    );
    expect(election).toContain('leader      "worker-a" (term 40)');
    expect(election).toContain('TERM');
    expect(election).toContain('candidates: none');
    expect(election).not.toContain('lock-delay');
    expect(
      formatDescribe({
        name: 'x',
        kind: 'none',
        limit: 0,
        generation: 0,
        holders: [],
        waiters: [],
        lockDelayRemainingMs: 0,
      }),
    ).toBe('x: free (no holder, no waiter, no lock-delay)');
  });
});

describe('formatStatus', () => {
  it('marks the leader among the members', () => {
    const text = formatStatus({
      nodeId: 'n2',
      role: 'follower',
      leaderId: 'n1',
      leaderClientUrl: 'ws://h:1/v1/client',
      term: 3,
      commitIndex: 10,
      appliedIndex: 9,
      members: [
        { id: 'n1', clientUrl: 'ws://h:1/v1/client', role: 'voter' },
        { id: 'n2', clientUrl: 'ws://h:2/v1/client', role: 'voter' },
      ],
    });
    expect(text).toContain('answered by    n2 (follower)');
    expect(text).toContain('leader         n1  ws://h:1/v1/client');
    expect(text).toMatch(/n1 +voter +ws:\/\/h:1\/v1\/client +leader\n/);
    expect(text).toMatch(/n2 +voter +ws:\/\/h:2\/v1\/client$/);
  });
});
