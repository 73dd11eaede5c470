/**
 * Command-line parsing (node:util parseArgs): global flags, one command, its flags, and the
 * command to run after `--`. Everything is checked here, so a typo fails with exit 2 before any
 * connection is made.
 */
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type AdminArgs, type AdminCommand, parseAdminArgs } from './admin-args.js';
import { parseDuration } from './duration.js';
import { UsageError } from './exit-codes.js';
import { BatonError, LIMITS, normalizeEndpoint } from './sdk.js';

export const COMMANDS = ['lock', 'elect', 'observe', 'describe', 'status', 'members', 'leader', 'snapshot'] as const;
export type CommandName = (typeof COMMANDS)[number];

export const DEFAULT_ENDPOINTS: readonly string[] = Object.freeze([
  'ws://127.0.0.1:7001',
  'ws://127.0.0.1:7002',
  'ws://127.0.0.1:7003',
]);
export const DEFAULT_TTL_MS = 10_000;
export const DEFAULT_KILL_GRACE_MS = 5_000;

const OPTIONS = {
  endpoints: { type: 'string' },
  token: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  ttl: { type: 'string' },
  timeout: { type: 'string' },
  try: { type: 'boolean' },
  'kill-grace': { type: 'string' },
  limit: { type: 'string' },
  'client-url': { type: 'string' },
  learner: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];
type OptionName = keyof typeof OPTIONS;

const GLOBAL_OPTIONS: readonly OptionName[] = ['endpoints', 'token', 'ca', 'cert', 'key', 'json', 'help', 'version'];
const COMMAND_OPTIONS: Readonly<Record<CommandName, readonly OptionName[]>> = {
  lock: ['ttl', 'timeout', 'try', 'kill-grace', 'limit'],
  elect: ['ttl', 'timeout', 'kill-grace'],
  observe: [],
  describe: [],
  status: [],
  members: ['timeout', 'client-url', 'learner'],
  leader: ['timeout'],
  snapshot: [],
};

export interface GlobalOptions {
  readonly endpoints: readonly string[];
  readonly token: string | undefined;
  /** For wss:// endpoints: a CA to trust (--ca) and a client certificate (--cert, --key); PEM contents. */
  readonly tls: CliTls | undefined;
  readonly json: boolean;
}

export interface CliTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** What runs a command under a hold: the session and how the command is stopped on loss. */
export interface HoldOptions {
  readonly name: string;
  readonly ttlMs: number;
  /** undefined: wait as long as the cluster allows (LIMITS.maxWaitMs). */
  readonly timeoutMs: number | undefined;
  readonly killGraceMs: number;
  /** The command and its arguments (after `--`); empty for `elect` without a command. */
  readonly command: readonly string[];
}

export interface LockArgs extends HoldOptions {
  readonly try: boolean;
  readonly limit: number;
}

export interface ElectArgs extends HoldOptions {
  readonly value: string;
}

export type Invocation =
  | { readonly kind: 'help'; readonly command: CommandName | null }
  | { readonly kind: 'version' }
  | { readonly kind: 'lock'; readonly globals: GlobalOptions; readonly args: LockArgs }
  | { readonly kind: 'elect'; readonly globals: GlobalOptions; readonly args: ElectArgs }
  | { readonly kind: 'observe' | 'describe'; readonly globals: GlobalOptions; readonly name: string }
  | { readonly kind: 'status'; readonly globals: GlobalOptions }
  | { readonly kind: 'admin'; readonly globals: GlobalOptions; readonly args: AdminArgs };

export type Environment = Readonly<Record<string, string | undefined>>;

/** Parses `argv` (without node and the script); throws UsageError naming what is wrong. */
export function parseInvocation(argv: readonly string[], env: Environment): Invocation {
  let parsed: ReturnType<typeof parseTokens>;
  try {
    parsed = parseTokens(argv);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, before, after, given } = parsed;
  const [commandWord, ...rest] = before;
  if (values.version === true) return { kind: 'version' };
  if (commandWord === undefined || commandWord === 'help') {
    const about = rest[0];
    if (commandWord === 'help' && about !== undefined) return { kind: 'help', command: commandName(about) };
    // a bare `baton` shows the help, like `baton --help`
    return { kind: 'help', command: null };
  }
  const command = commandName(commandWord);
  if (values.help === true) return { kind: 'help', command };
  for (const option of given) {
    if (!GLOBAL_OPTIONS.includes(option) && !COMMAND_OPTIONS[command].includes(option)) {
      throw new UsageError(`baton ${command} has no --${option} option; see baton help ${command}`);
    }
  }
  if (after !== null && command !== 'lock' && command !== 'elect') {
    throw new UsageError(`baton ${command} runs no command: remove the part after --`);
  }
  const globals = globalOptions(values, env);
  switch (command) {
    case 'lock': {
      const [name, ...extra] = rest;
      if (name === undefined) throw new UsageError('baton lock: missing <name>; usage: baton lock <name> -- <cmd>');
      refuseExtra(command, extra, true);
      if (after === null || after.length === 0) {
        throw new UsageError(`baton lock: missing the command to run after --: baton lock ${name} -- <cmd> [args…]`);
      }
      if (values.try === true && values.timeout !== undefined) {
        throw new UsageError('baton lock: --try and --timeout exclude each other (--try never waits)');
      }
      return {
        kind: 'lock',
        globals,
        args: { ...holdOptions(name, values, after), try: values.try === true, limit: limitOption(values.limit) },
      };
    }
    case 'elect': {
      const [name, value, ...extra] = rest;
      if (name === undefined || value === undefined) {
        throw new UsageError('baton elect: usage: baton elect <name> <value> [-- <cmd> [args…]]');
      }
      refuseExtra(command, extra, true);
      return { kind: 'elect', globals, args: { ...holdOptions(name, values, after ?? []), value } };
    }
    case 'observe':
    case 'describe': {
      const [name, ...extra] = rest;
      if (name === undefined) throw new UsageError(`baton ${command}: missing <name>`);
      refuseExtra(command, extra, false);
      return { kind: command, globals, name };
    }
    case 'status':
      refuseExtra(command, rest, false);
      return { kind: 'status', globals };
    case 'members':
    case 'leader':
    case 'snapshot':
      return { kind: 'admin', globals, args: parseAdminArgs(command as AdminCommand, rest, values, given) };
  }
}

function parseTokens(argv: readonly string[]) {
  const { values, tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
    tokens: true,
  });
  const terminator = tokens.find((t) => t.kind === 'option-terminator');
  const before: string[] = [];
  const given = new Set<OptionName>();
  for (const token of tokens) {
    if (token.kind === 'positional' && (terminator === undefined || token.index < terminator.index)) {
      before.push(token.value);
    }
    if (token.kind === 'option') given.add(token.name as OptionName);
  }
  // everything after the first `--`, verbatim (a later `--` belongs to the command)
  const after = terminator === undefined ? null : argv.slice(terminator.index + 1);
  return { values, before, after, given };
}

type Values = ReturnType<typeof parseTokens>['values'];

function commandName(word: string): CommandName {
  if ((COMMANDS as readonly string[]).includes(word)) return word as CommandName;
  throw new UsageError(`unknown command ${JSON.stringify(word)} (${COMMANDS.join(', ')})`);
}

function refuseExtra(command: CommandName, extra: readonly string[], runsCommand: boolean): void {
  if (extra.length === 0) return;
  const hint = runsCommand ? ` (put the command to run after --)` : '';
  throw new UsageError(`baton ${command}: unexpected argument ${JSON.stringify(extra[0])}${hint}`);
}

function globalOptions(values: Values, env: Environment): GlobalOptions {
  const fromFlag = values.endpoints;
  const fromEnv = env.BATON_ENDPOINTS;
  const raw = fromFlag ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : undefined);
  const source = fromFlag !== undefined ? '--endpoints' : 'BATON_ENDPOINTS';
  const endpoints =
    raw === undefined
      ? DEFAULT_ENDPOINTS
      : raw
          .split(',')
          .map((e) => e.trim())
          .filter((e) => e !== '');
  if (endpoints.length === 0) throw new UsageError(`${source}: no endpoint given`);
  for (const endpoint of endpoints) {
    try {
      normalizeEndpoint(endpoint);
    } catch (err) {
      throw new UsageError(`${source}: ${err instanceof BatonError ? err.message : String(err)}`);
    }
  }
  const token = values.token ?? (env.BATON_TOKEN === '' ? undefined : env.BATON_TOKEN);
  if (token !== undefined && token.length === 0) throw new UsageError('--token: must not be empty');
  return { endpoints, token, tls: tlsOptions(values, env), json: values.json === true };
}

/** Reads --ca/--cert/--key (or BATON_CA/BATON_CERT/BATON_KEY) now, so a wrong path fails before connecting. */
function tlsOptions(values: Values, env: Environment): CliTls | undefined {
  const read = (flag: 'ca' | 'cert' | 'key'): Buffer | undefined => {
    const envName = `BATON_${flag.toUpperCase()}`;
    const path = values[flag] ?? (env[envName] === '' ? undefined : env[envName]);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      const source = values[flag] !== undefined ? `--${flag}` : envName;
      throw new UsageError(`${source}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const ca = read('ca');
  const cert = read('cert');
  const key = read('key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  if (ca === undefined && cert === undefined) return undefined;
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

function holdOptions(name: string, values: Values, command: readonly string[]): HoldOptions {
  const ttlMs = values.ttl === undefined ? DEFAULT_TTL_MS : parseDuration(values.ttl, 'ttl');
  if (ttlMs < LIMITS.minTtlMs || ttlMs > LIMITS.maxTtlMs) {
    throw new UsageError(`--ttl: must be between ${LIMITS.minTtlMs / 1_000}s and ${LIMITS.maxTtlMs / 1_000}s`);
  }
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout, 'timeout');
  if (timeoutMs !== undefined && timeoutMs > LIMITS.maxWaitMs) {
    throw new UsageError(`--timeout: at most ${LIMITS.maxWaitMs / 60_000}m (the cluster's longest wait)`);
  }
  const killGraceMs =
    values['kill-grace'] === undefined ? DEFAULT_KILL_GRACE_MS : parseDuration(values['kill-grace'], 'kill-grace');
  return { name, ttlMs, timeoutMs, killGraceMs, command };
}

function limitOption(text: string | undefined): number {
  if (text === undefined) return 1;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > LIMITS.maxSemaphoreLimit) {
    throw new UsageError(`--limit: must be a whole number from 1 to ${LIMITS.maxSemaphoreLimit}`);
  }
  return limit;
}
