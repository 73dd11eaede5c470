import { describe, expect, it } from 'vitest';
import { parseInvocation } from './args.js';
import { UsageError } from './exit-codes.js';

const argsOf = (argv: string[]) => {
  const inv = parseInvocation(argv, {});
  if (inv.kind !== 'admin') throw new Error(`not an admin command: ${inv.kind}`);
  return inv.args;
};

describe('admin commands', () => {
  it('parse into their actions', () => {
    expect(argsOf(['members', 'list'])).toEqual({ action: 'members.list' });
    expect(argsOf(['members', 'add', 'n4', 'http://10.0.0.4:7001', '--timeout', '90s'])).toEqual({
      action: 'members.add',
      id: 'n4',
      peerUrl: 'http://10.0.0.4:7001',
      clientUrl: undefined,
      learner: false,
      timeoutMs: 90_000,
    });
    expect(
      argsOf(['members', 'add', 'n4', 'http://10.0.0.4:7001', '--learner', '--client-url', 'wss://b4:443/v1/client']),
    ).toMatchObject({ learner: true, clientUrl: 'wss://b4:443/v1/client', timeoutMs: undefined });
    expect(argsOf(['members', 'promote', 'n4'])).toEqual({ action: 'members.promote', id: 'n4', timeoutMs: undefined });
    expect(argsOf(['members', 'remove', 'n2'])).toEqual({ action: 'members.remove', id: 'n2' });
    expect(argsOf(['leader', 'transfer', 'n3', '--timeout', '2s'])).toEqual({
      action: 'leader.transfer',
      id: 'n3',
      timeoutMs: 2_000,
    });
    expect(argsOf(['snapshot', 'save', './b.bak'])).toEqual({ action: 'snapshot.save', file: './b.bak' });
    expect(parseInvocation(['members', 'list', '--json'], {})).toMatchObject({ globals: { json: true } });
  });

  it.each([
    [['members']],
    [['members', 'grow']],
    [['members', 'add', 'n4']],
    [['members', 'add', 'n 4', 'http://x:1']],
    [['members', 'add', 'n4', 'http://x:1', 'extra']],
    [['members', 'add', 'n4', 'http://x:1', '--learner', '--timeout', '5s']],
    [['members', 'remove', 'n4', '--timeout', '5s']],
    [['members', 'list', '--learner']],
    [['members', 'promote', 'n4', '--timeout', '11m']],
    [['leader', 'transfer']],
    [['leader', 'elect', 'n2']],
    [['snapshot', 'save']],
    [['snapshot', 'save', 'a', 'b']],
    [['snapshot', 'load', 'a']],
    [['status', '--learner']],
  ])('%j is a usage error (exit 2, before any connection)', (argv) => {
    expect(() => parseInvocation(argv, {})).toThrow(UsageError);
  });
});
