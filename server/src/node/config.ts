/**
 * baton-server's configuration: command-line flags, then `BATON_*` environment variables, then a
 * JSON config file (`--config`, validated with zod: every flag is a key), then defaults — the
 * first that sets a value wins. Every value is checked here; a bad one is a ConfigError naming
 * the flag or key (the binary prints one line and exits 2). Flag parsing uses Node's built-in
 * util.parseArgs (well kept, no dependency).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, keyPath, parseHostPort } from './config-error.js';
import { isValidNodeName, type Member, MembersError, parseMembers } from './members.js';
import { parseSecurityConfig, SECURITY_FLAGS, SECURITY_USAGE, type SecurityConfig } from './security-config.js';

export { ConfigError } from './config-error.js';

export interface ServerConfig {
  readonly name: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly members: readonly Member[];
  readonly dataDir: string;
  readonly clusterId: string;
  readonly peerSecret: string | null;
  readonly tickMs: number;
  readonly electionTimeoutTicks: number;
  /** The election timeout is drawn from [electionTimeoutTicks, electionTimeoutTicks + this). */
  readonly electionJitterTicks: number;
  readonly heartbeatTicks: number;
  readonly snapshotEveryEntries: number;
  readonly logLevel: string;
  readonly dev: boolean;
  /** TLS, tokens and per-client limits (security-config.ts). */
  readonly security: SecurityConfig;
  /** `new`: an empty data dir starts a cluster of --peers; `existing`: it joins one (admin/README.md). */
  readonly initialClusterState: 'new' | 'existing';
}

/**
 * Defaults in one place. The election timeout is 25 ms ticks × 14 = 350 ms, randomized only up to
 * 400 ms (2 ticks of jitter; the pre-vote tie-break in raft.ts keeps two followers that time out
 * together from splitting the vote), so a leader SIGKILLed under load is replaced and found by
 * its clients within about 500 ms (issue 8, workload 3: 0.5–1 s randomized gave p50 ≈ 660 ms,
 * max ≈ 1 s). The pause a leader survives is the minimum, 350 ms: a 20 ms × [10, 20) timeout
 * (200 ms) was tried first, and on a loaded 2-core machine opening 10,000 sessions in a burst
 * starved the leader past it (8 leader changes in one comparison run). Heartbeats stay every
 * 50 ms (2 ticks). The lease is the timeout minus 2 ticks (one for tick rounding, one for drift).
 */
export const CONFIG_DEFAULTS = Object.freeze({
  listen: '127.0.0.1:7001',
  clusterId: 'baton',
  tickMs: 25,
  electionTimeoutTicks: 14,
  electionJitterTicks: 2,
  heartbeatTicks: 2,
  snapshotEveryEntries: 10_000,
  logLevel: 'info',
  devDataDir: './data/dev',
});

const FLAGS = {
  id: { type: 'string' },
  listen: { type: 'string' },
  peers: { type: 'string' },
  'client-urls': { type: 'string' },
  'data-dir': { type: 'string' },
  'cluster-id': { type: 'string' },
  'peer-secret': { type: 'string' },
  'tick-ms': { type: 'string' },
  'election-ticks': { type: 'string' },
  'election-jitter-ticks': { type: 'string' },
  'heartbeat-ticks': { type: 'string' },
  'snapshot-every': { type: 'string' },
  'log-level': { type: 'string' },
  'initial-cluster-state': { type: 'string' },
  config: { type: 'string' },
  dev: { type: 'boolean' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
  ...SECURITY_FLAGS,
} as const;

type FlagName = keyof typeof FLAGS;

export const USAGE = `usage: baton-server --id n1 --listen 127.0.0.1:7001 \\
         --peers n1=http://127.0.0.1:7001,n2=http://127.0.0.1:7002,n3=http://127.0.0.1:7003 \\
         --data-dir ./data/n1
       baton-server --dev            a single-node cluster for local development

flags (each also as BATON_<FLAG> in the environment, e.g. BATON_DATA_DIR, or as a key in --config FILE.json):
  --id NAME              this node's name (must be one of --peers)
  --listen HOST:PORT     where clients (/v1/client) and peers (/v1/peer) connect
  --peers LIST           every member: name=http://host:port, comma-separated
  --client-urls LIST     name=ws://host:port/v1/client for members whose peer URL is a proxy
  --data-dir DIR         write-ahead log, snapshots and the lock file
  --cluster-id ID        refuse peers from another cluster (default ${CONFIG_DEFAULTS.clusterId})
  --peer-secret SECRET   shared secret peers prove in their handshake (HMAC)
  --tick-ms MS           Raft tick (default ${CONFIG_DEFAULTS.tickMs})
  --election-ticks N     election timeout in ticks (default ${CONFIG_DEFAULTS.electionTimeoutTicks})
  --election-jitter-ticks N
                         the timeout is drawn from [election-ticks, election-ticks + N) ticks, N >= 2
                         (default ${CONFIG_DEFAULTS.electionJitterTicks})
  --heartbeat-ticks N    heartbeat interval in ticks (default ${CONFIG_DEFAULTS.heartbeatTicks})
  --snapshot-every N     entries between state machine snapshots (default ${CONFIG_DEFAULTS.snapshotEveryEntries})
  --log-level LEVEL      trace|debug|info|warn|error (default ${CONFIG_DEFAULTS.logLevel})
  --initial-cluster-state new|existing
                         only for an empty --data-dir: new (default) starts a cluster of --peers;
                         existing joins a running one (with baton members add): the node waits
                         for the leader to send it the log and configuration
${SECURITY_USAGE}
       baton-server restore --from FILE --data-dir DIR --id NAME --peers LIST [--bump-index N]
                         a fresh data directory for a NEW cluster from a backup (baton snapshot save)
`;

export type ParsedCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly config: ServerConfig };

/** Parses argv (without node and script) and the environment. Throws ConfigError. */
export function parseServerConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  let values: Partial<Record<FlagName, string | boolean>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const flag = /'--?([a-z-]+)/.exec(msg)?.[1] ?? 'flags';
    throw new ConfigError(flag, msg.split('\n')[0] ?? msg);
  }
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };

  const file = loadConfigFile(stringValue(values, env, {}, 'config'));
  const get = (flag: FlagName): string | undefined => stringValue(values, env, file, flag);
  const dev = values.dev === true || isTrue(env.BATON_DEV) || file.dev === true;

  const listen = get('listen') ?? CONFIG_DEFAULTS.listen;
  const { host, port } = parseListen(listen);
  let name = get('id');
  let peers = get('peers');
  let dataDir = get('data-dir');
  if (dev) {
    name ??= 'dev';
    peers ??= `${name}=http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    dataDir ??= CONFIG_DEFAULTS.devDataDir;
  }
  if (name === undefined) throw new ConfigError('id', 'required (or use --dev)');
  if (!isValidNodeName(name)) throw new ConfigError('id', `invalid node name ${JSON.stringify(name)}`);
  if (peers === undefined) throw new ConfigError('peers', 'required (or use --dev)');
  if (dataDir === undefined || dataDir === '') throw new ConfigError('data-dir', 'required (or use --dev)');
  let members: Member[];
  try {
    members = parseMembers(peers, get('client-urls') ?? '');
  } catch (err) {
    if (err instanceof MembersError) {
      const flag = err.message.startsWith('client-urls') ? 'client-urls' : 'peers';
      throw new ConfigError(flag, err.message.replace(/^[a-z-]+: /, ''));
    }
    throw err;
  }
  if (!members.some((m) => m.name === name)) throw new ConfigError('id', `${name} is not one of --peers`);

  const tickMs = intFlag(get, 'tick-ms', CONFIG_DEFAULTS.tickMs, 1, 10_000);
  const electionTimeoutTicks = intFlag(get, 'election-ticks', CONFIG_DEFAULTS.electionTimeoutTicks, 4, 1_000);
  const electionJitterTicks = intFlag(get, 'election-jitter-ticks', CONFIG_DEFAULTS.electionJitterTicks, 2, 1_000);
  const heartbeatTicks = intFlag(get, 'heartbeat-ticks', CONFIG_DEFAULTS.heartbeatTicks, 1, 1_000);
  if (heartbeatTicks >= electionTimeoutTicks) {
    throw new ConfigError('heartbeat-ticks', `must be below --election-ticks (${electionTimeoutTicks})`);
  }
  const logLevel = get('log-level') ?? CONFIG_DEFAULTS.logLevel;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new ConfigError('log-level', `unknown level ${JSON.stringify(logLevel)}`);
  }
  const initialClusterState = get('initial-cluster-state') ?? 'new';
  if (initialClusterState !== 'new' && initialClusterState !== 'existing') {
    throw new ConfigError(
      'initial-cluster-state',
      `expected new or existing, got ${JSON.stringify(initialClusterState)}`,
    );
  }
  const clusterId = get('cluster-id') ?? CONFIG_DEFAULTS.clusterId;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(clusterId)) throw new ConfigError('cluster-id', 'use 1-64 of [A-Za-z0-9_.-]');
  return {
    kind: 'run',
    config: {
      name,
      listenHost: host,
      listenPort: port,
      members,
      dataDir: resolve(dataDir),
      clusterId,
      peerSecret: get('peer-secret') ?? null,
      tickMs,
      electionTimeoutTicks,
      electionJitterTicks,
      heartbeatTicks,
      snapshotEveryEntries: intFlag(get, 'snapshot-every', CONFIG_DEFAULTS.snapshotEveryEntries, 10, 10_000_000),
      logLevel,
      dev,
      security: parseSecurityConfig(get, members, Date.now()),
      initialClusterState,
    },
  };
}

function envName(flag: FlagName): string {
  return `BATON_${flag.toUpperCase().replaceAll('-', '_')}`;
}

function stringValue(
  values: Partial<Record<FlagName, string | boolean>>,
  env: NodeJS.ProcessEnv,
  file: Record<string, unknown>,
  flag: FlagName,
): string | undefined {
  const v = values[flag];
  if (typeof v === 'string') return v;
  const e = env[envName(flag)];
  if (e !== undefined && e !== '') return e;
  const f = file[flag];
  if (f === undefined || f === null) return undefined;
  if (typeof f === 'string') return f;
  if (typeof f === 'number') return String(f);
  throw new ConfigError(flag, `config file value must be a string or number, got ${typeof f}`);
}

function loadConfigFile(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('config', `${path} is not valid JSON`);
  }
  const checked = configFileSchema().safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    if (issue?.code === 'unrecognized_keys') {
      throw new ConfigError('config', `${path}: unknown key ${JSON.stringify(issue.keys[0])}`);
    }
    const key = issue?.path[0];
    const flag = typeof key === 'string' && key in FLAGS ? key : 'config';
    throw new ConfigError(flag, `${path}: ${keyPath(issue?.path ?? [])}: ${issue?.message ?? 'invalid'}`);
  }
  return checked.data;
}

/** Every flag is a key of the config file (except the ones that make no sense there). */
function configFileSchema() {
  const shape: Record<string, z.ZodType> = {};
  for (const [flag, spec] of Object.entries(FLAGS)) {
    if (flag === 'config' || flag === 'help' || flag === 'version') continue;
    shape[flag] = (
      spec.type === 'boolean'
        ? z.boolean()
        : z.union([z.string(), z.number()], { error: 'expected a string or number' })
    )
      .nullable()
      .optional();
  }
  return z.strictObject(shape, { error: 'must be a JSON object of flag names' });
}

function parseListen(listen: string): { host: string; port: number } {
  return parseHostPort(listen, 'listen');
}

function intFlag(
  get: (f: FlagName) => string | undefined,
  flag: FlagName,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = get(flag);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(flag, `expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return n;
}

function isTrue(v: string | undefined): boolean {
  return v === '1' || v === 'true';
}
