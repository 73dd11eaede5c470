/**
 * Arguments of the administration commands: `baton members list|add|promote|remove`,
 * `baton leader transfer <id>` and `baton snapshot save <file>`. Checked before any connection,
 * like every other command's (args.ts).
 */
import { parseDuration } from './duration.js';
import { UsageError } from './exit-codes.js';
import { LIMITS, NODE_NAME_PATTERN } from './sdk.js';

export type AdminArgs =
  | { readonly action: 'members.list' }
  | {
      readonly action: 'members.add';
      readonly id: string;
      readonly peerUrl: string;
      readonly clientUrl: string | undefined;
      readonly learner: boolean;
      readonly timeoutMs: number | undefined;
    }
  | { readonly action: 'members.promote'; readonly id: string; readonly timeoutMs: number | undefined }
  | { readonly action: 'members.remove'; readonly id: string }
  | { readonly action: 'leader.transfer'; readonly id: string; readonly timeoutMs: number | undefined }
  | { readonly action: 'snapshot.save'; readonly file: string };

export type AdminCommand = 'members' | 'leader' | 'snapshot';

export interface AdminFlagValues {
  readonly timeout?: string | undefined;
  readonly 'client-url'?: string | undefined;
  readonly learner?: boolean | undefined;
}

const ACTIONS: Readonly<Record<AdminCommand, readonly string[]>> = {
  members: ['list', 'add', 'promote', 'remove'],
  leader: ['transfer'],
  snapshot: ['save'],
};

/** Which flags each action takes (the command-level check in args.ts allows their union). */
const ACTION_FLAGS: Readonly<Record<string, readonly (keyof AdminFlagValues)[]>> = {
  'members.list': [],
  'members.add': ['timeout', 'client-url', 'learner'],
  'members.promote': ['timeout'],
  'members.remove': [],
  'leader.transfer': ['timeout'],
  'snapshot.save': [],
};

export function parseAdminArgs(
  command: AdminCommand,
  rest: readonly string[],
  values: AdminFlagValues,
  given: ReadonlySet<string>,
): AdminArgs {
  const [verb, ...operands] = rest;
  if (verb === undefined || !ACTIONS[command].includes(verb)) {
    throw new UsageError(`baton ${command}: expected one of ${ACTIONS[command].join(', ')}; see baton help ${command}`);
  }
  const action = `${command}.${verb}`;
  for (const flag of ['timeout', 'client-url', 'learner'] as const) {
    if (given.has(flag) && !ACTION_FLAGS[action]?.includes(flag)) {
      throw new UsageError(`baton ${command} ${verb} has no --${flag} option`);
    }
  }
  const operand = (i: number, what: string): string => {
    const v = operands[i];
    if (v === undefined) throw new UsageError(`baton ${command} ${verb}: missing <${what}>`);
    return v;
  };
  const expectCount = (n: number): void => {
    if (operands.length > n)
      throw new UsageError(`baton ${command} ${verb}: unexpected argument ${JSON.stringify(operands[n])}`);
  };
  const memberId = (i: number): string => {
    const id = operand(i, 'id');
    if (!NODE_NAME_PATTERN.test(id)) {
      throw new UsageError(
        `baton ${command} ${verb}: ${JSON.stringify(id)} is not a node name (1-63 of [A-Za-z0-9_.-])`,
      );
    }
    return id;
  };
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout, 'timeout');
  if (timeoutMs !== undefined && timeoutMs > LIMITS.maxAdminWaitMs) {
    throw new UsageError(`--timeout: at most ${LIMITS.maxAdminWaitMs / 60_000}m`);
  }
  switch (action) {
    case 'members.list':
      expectCount(0);
      return { action };
    case 'members.add': {
      expectCount(2);
      const id = memberId(0);
      const peerUrl = operand(1, 'peer-url');
      if (values.learner === true && timeoutMs !== undefined) {
        throw new UsageError('baton members add: --learner adds without promoting; --timeout is for the promotion');
      }
      return { action, id, peerUrl, clientUrl: values['client-url'], learner: values.learner === true, timeoutMs };
    }
    case 'members.promote':
      expectCount(1);
      return { action, id: memberId(0), timeoutMs };
    case 'members.remove':
      expectCount(1);
      return { action, id: memberId(0) };
    case 'leader.transfer':
      expectCount(1);
      return { action, id: memberId(0), timeoutMs };
    default:
      expectCount(1);
      return { action: 'snapshot.save', file: operand(0, 'file') };
  }
}
