/**
 * `npm run chaos -- --minutes 30 --seed S [--nodes 5] [--workers 4] [--net netns] [--out DIR]`: the long chaos
 * run. Prints the faults as they happen and a summary table at the end; saves the artifacts
 * (history, fault schedule, timeline, logs) under test/chaos/out/<seed>-<nodes>n/; exits 1 when a
 * check found a violation. The same file is the client worker when started with `--worker`.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SERVER_BIN } from '../cluster/harness.js';
import { FAULT_KINDS, type FaultKind } from './nemesis/fault-kinds.js';
import { formatSummary } from './report/summary.js';
import { CHAOS_DEFAULTS } from './run/options.js';
import { runChaos } from './run/run-chaos.js';
import { runWorker } from './worker/worker-main.js';

const USAGE = `usage: npm run chaos -- [--minutes N] [--seed S] [--nodes 3|5] [--workers N] [--net proxy|netns] [--out DIR] [--all-once] [--faults LIST]
  --minutes N     how long the workload and the nemesis run (default 10)
  --seed S        the run's seed (default: random, printed); the same seed replays the same plan
  --nodes N       cluster size (default 3)
  --workers N     client worker processes, 2 lanes each (default ${CHAOS_DEFAULTS.workers})
  --net MODE      proxy: nodes on 127.0.0.1, a TCP proxy on every peer link (default);
                  netns: each node in its own network namespace, peer faults in the kernel
                  (needs root and iproute2; falls back to proxy, saying why)
  --out DIR       artifacts root (default test/chaos/out)
  --all-once      every fault kind once, in a seeded order, instead of random faults
  --faults LIST   these fault kinds (comma-separated, repeats allowed) in a seeded order instead
                  of random faults: ${FAULT_KINDS.join(', ')}
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      seed: { type: 'string' },
      nodes: { type: 'string' },
      workers: { type: 'string' },
      net: { type: 'string' },
      out: { type: 'string' },
      'all-once': { type: 'boolean' },
      faults: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const minutes = Number(values.minutes ?? 10);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const nodes = Number(values.nodes ?? 3);
  const workers = Number(values.workers ?? CHAOS_DEFAULTS.workers);
  const net = values.net ?? 'proxy';
  const listed = values.faults === undefined ? null : values.faults.split(',').map((k) => k.trim());
  const known: readonly string[] = FAULT_KINDS;
  if (listed !== null && (listed.length === 0 || listed.some((k) => !known.includes(k)))) {
    process.stderr.write(`chaos: unknown fault kind in --faults ${values.faults}\n${USAGE}`);
    return 64;
  }
  if (
    !(minutes > 0) ||
    !Number.isSafeInteger(seed) ||
    ![3, 5].includes(nodes) ||
    !(workers >= 1) ||
    (net !== 'proxy' && net !== 'netns')
  ) {
    process.stderr.write(USAGE);
    return 64;
  }
  const repoRoot = resolve(dirname(SERVER_BIN), '..', '..', '..');
  const outDir = values.out ?? join(repoRoot, 'test', 'chaos', 'out');
  const allOnce = values['all-once'] === true;
  const replay = `npm run chaos -- --minutes ${minutes} --seed ${seed} --nodes ${nodes} --workers ${workers}${net === 'netns' ? ' --net netns' : ''}${allOnce ? ' --all-once' : ''}${listed === null ? '' : ` --faults ${listed.join(',')}`}`;
  process.stdout.write(`chaos: seed ${seed}, ${nodes} nodes, ${minutes} min, ${net} network\nreplay: ${replay}\n`);
  const result = await runChaos({
    ...CHAOS_DEFAULTS,
    seed,
    nodes,
    workers,
    net,
    durationMs: minutes * 60_000,
    faults: listed !== null ? (listed as FaultKind[]) : allOnce ? FAULT_KINDS : 'random',
    // a long history takes longer to check: budget a minute per ten minutes run, at least two
    checkBudgetMs: Math.max(CHAOS_DEFAULTS.checkBudgetMs, minutes * 6_000),
    outDir,
    keepArtifacts: true,
    workerCommand: { modulePath: fileURLToPath(import.meta.url), args: ['--worker'] },
    replayCommand: replay,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\n${formatSummary(result.data, result, replay)}\n`);
  process.stdout.write(`\nartifacts: ${result.artifactsDir}\n`);
  return result.violations.length === 0 ? 0 : 1;
}

if (process.argv.includes('--worker')) {
  runWorker();
} else {
  // Ctrl-C or a SIGTERM ends the run at once; the exit handlers kill its servers and workers
  // and remove its data (cluster/child-registry.ts) and its namespaces (net/netns/)
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  process.once('SIGHUP', () => process.exit(129));
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
