/**
 * Test support: turns abstract random commands (from fast-check) into a sequential run of the
 * lock reference — mostly sensible operations (release with the current token) and some stale
 * ones (old tokens, other sessions), as a chaos workload would produce them.
 */
import type { LockInput, LockOutput } from '../models/lock-types.js';
import { LockReference } from './lock-reference.js';

export interface LockCommand {
  /** Picks the operation kind (modulo the table below). */
  kind: number;
  session: number;
  /** Any number: picks a token, a value, a variant. */
  pick: number;
}

export const SESSIONS = ['s1', 's2', 's3', 's4'] as const;
const LOCK = 'lock-a';
const SEMAPHORE = 'sem-b';
const SEMAPHORE_LIMIT = 2;
const ELECTION = 'elect-c';
const VALUES = ['x', 'y', 'z'] as const;

/** Weighted operation kinds: session ends are rare so the sessions stay useful. */
const KINDS = [
  'acquire',
  'acquire',
  'acquire',
  'release',
  'release',
  'fenceCheck',
  'describe',
  'campaign',
  'campaign',
  'proclaim',
  'resign',
  'leader',
  'write',
  'write',
  'read',
  'expire',
] as const;

/**
 * Runs the commands in order. `takesEffect(i)` false: command i is issued but never reaches the
 * service (its answer is then undefined) — an operation lost on the way.
 */
export function runLockWorkload(
  commands: readonly LockCommand[],
  takesEffect: (i: number) => boolean = () => true,
): { input: LockInput; output: LockOutput }[] {
  const reference = new LockReference();
  const granted: number[] = [];
  const steps: { input: LockInput; output: LockOutput }[] = [];
  commands.forEach((command, i) => {
    const input = toInput(command, reference, granted);
    // other clients' log entries: tokens are global log indexes, so they jump
    reference.skipEntries(command.pick % 3);
    if (!takesEffect(i)) {
      steps.push({ input, output: { kind: 'error', code: 'NEVER_APPLIED' } });
      return;
    }
    const output = reference.apply(input);
    if (output.kind === 'granted' && !granted.includes(output.token)) granted.push(output.token);
    steps.push({ input, output });
  });
  return steps;
}

function toInput(c: LockCommand, reference: LockReference, granted: readonly number[]): LockInput {
  const session = SESSIONS[c.session % SESSIONS.length]!;
  const kind = KINDS[c.kind % KINDS.length]!;
  const value = VALUES[c.pick % VALUES.length]!;
  const lockName = c.pick % 2 === 0 ? LOCK : SEMAPHORE;
  // the session's current token most of the time, otherwise an old one (or a made-up one)
  const tokenFor = (name: string): number => {
    const current = reference.tokenOf(name, session);
    if (current !== undefined && c.pick % 4 !== 0) return current;
    return granted.length > 0 ? granted[c.pick % granted.length]! : 1 + (c.pick % 5);
  };
  switch (kind) {
    case 'acquire':
      return {
        f: 'acquire',
        name: lockName,
        session,
        limit: lockName === LOCK ? 1 : SEMAPHORE_LIMIT,
        wait: c.pick % 3 !== 0,
      };
    case 'release':
      return { f: 'release', name: lockName, session, token: tokenFor(lockName) };
    case 'fenceCheck':
      return { f: 'fenceCheck', name: lockName, token: tokenFor(lockName) };
    case 'describe':
      return { f: 'describe', name: c.pick % 3 === 0 ? ELECTION : lockName };
    case 'campaign':
      return { f: 'campaign', name: ELECTION, session, value };
    case 'proclaim':
      return { f: 'proclaim', name: ELECTION, session, term: tokenFor(ELECTION), value };
    case 'resign':
      return { f: 'resign', name: ELECTION, session, term: tokenFor(ELECTION) };
    case 'leader':
      return { f: 'leader', name: ELECTION };
    case 'write':
      return { f: 'write', name: LOCK, token: tokenFor(LOCK), value: `${value}${c.pick % 7}` };
    case 'read':
      return { f: 'read', name: LOCK };
    case 'expire':
      return { f: c.pick % 2 === 0 ? 'expire' : 'close', name: null, session };
  }
}
