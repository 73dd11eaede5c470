/**
 * `npm run bench [-- --quick] [--only 1,2,…] [--systems baton,etcd,zookeeper,redis] [--out DIR]
 * [--no-install]`: Baton side by side with etcd, ZooKeeper and Redis on this machine, in one
 * run, with the same client concurrency; prints the table with Baton's ratios and writes
 * results.json and report.html. The same file is the takeover holder process (`--holder`).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SERVER_BIN } from '../../cluster/harness.js';
import { SYSTEM_NAMES, type SystemName } from './clients/lock-client.js';
import { FULL_PLAN, QUICK_PLAN, WORKLOADS, type Workload } from './plan.js';
import { formatSystems, formatTable } from './report/table.js';
import { runBench } from './run.js';
import { runHolder } from './workloads/holder.js';

const USAGE = `usage: npm run bench -- [--quick] [--only LIST] [--systems LIST] [--out DIR] [--no-install]
  --quick          a short smoke run (what CI runs): every workload, tiny windows and counts
  --only LIST      workloads by number or name, comma-separated:
                   1 independent, 2 contention, 3 failover, 4 election, 5 takeover, 6 sessions, 7 memory
  --systems LIST   any of ${SYSTEM_NAMES.join(',')} (default: all)
  --out DIR        where results.json and report.html go (default test/bench/out)
  --no-install     do not apt-get install missing peers; skip them
`;

class UsageError extends Error {}

function parseWorkloads(list: string): Workload[] {
  return list.split(',').map((item) => {
    const t = item.trim().toLowerCase();
    const byNumber = WORKLOADS[Number(t) - 1];
    if (/^[1-7]$/.test(t) && byNumber !== undefined) return byNumber;
    const byName = WORKLOADS.find((w) => w === t);
    if (byName === undefined) throw new UsageError(`unknown workload "${item}"`);
    return byName;
  });
}

function parseSystems(list: string): SystemName[] {
  return list.split(',').map((item) => {
    const t = item.trim().toLowerCase();
    const s = SYSTEM_NAMES.find((n) => n === t || (t === 'zk' && n === 'zookeeper'));
    if (s === undefined) throw new UsageError(`unknown system "${item}"`);
    return s;
  });
}

function parseFlags() {
  return parseArgs({
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      systems: { type: 'string' },
      out: { type: 'string' },
      'no-install': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  }).values;
}

async function main(): Promise<number> {
  let values: ReturnType<typeof parseFlags>;
  let workloads: Workload[];
  let systems: SystemName[];
  try {
    values = parseFlags();
    workloads = values.only === undefined ? [...WORKLOADS] : parseWorkloads(values.only);
    systems = values.systems === undefined ? [...SYSTEM_NAMES] : parseSystems(values.systems);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 64;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const repoRoot = resolve(dirname(SERVER_BIN), '..', '..', '..');
  const outDir = resolve(values.out ?? join(repoRoot, 'test', 'bench', 'out'));
  const plan = values.quick === true ? QUICK_PLAN : FULL_PLAN;
  process.stdout.write(
    `Baton benchmark${plan.quick ? ' (quick)' : ''}: ${systems.join(', ')}; workloads ${workloads.join(', ')}\n`,
  );
  const { result, ok } = await runBench({
    plan,
    systems,
    workloads: WORKLOADS.filter((w) => workloads.includes(w)),
    outDir,
    install: values['no-install'] !== true,
    out: process.stdout,
    holderCommand: { modulePath: fileURLToPath(import.meta.url), args: ['--holder'] },
  });
  process.stdout.write(`\n${formatTable(result)}\n\nsystems:\n${formatSystems(result)}\n`);
  if (result.notes.length > 0) process.stdout.write(`\nnotes:\n${result.notes.map((n) => `  - ${n}`).join('\n')}\n`);
  process.stdout.write(
    `\n${(result.durationMs / 1000).toFixed(0)} s; results: ${join(outDir, 'results.json')}, chart: ${join(outDir, 'report.html')}\n`,
  );
  return ok ? 0 : 1;
}

const holderAt = process.argv.indexOf('--holder');
if (holderAt >= 0) {
  runHolder(process.argv[holderAt + 1] ?? '{}').catch((err: unknown) => {
    process.stderr.write(`holder failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
} else {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
