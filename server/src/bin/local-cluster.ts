/**
 * `npm start`: a local 3-node cluster on loopback. Starts three `baton-server` processes (data
 * under ./data/<name>, logs under ./data/logs/<name>.log), waits for a leader, prints every
 * node's client URL and who leads, and stops all three cleanly on Ctrl-C. A second run on the
 * same ./data comes back with the same state.
 *
 * Environment: BATON_START_PORT (first port, default 7001), BATON_NODES (default 3),
 * BATON_DATA (default ./data), BATON_LOG_LEVEL (the nodes' log level), BATON_LOG_PRETTY=0 (no
 * readable copy of the logs in the terminal; see pretty-logs.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prettyLogsEnabled, prettyPrintLogs } from './pretty-logs.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;

interface NodeStatus {
  readonly name: string;
  readonly role: string;
  readonly leader: string | null;
  readonly term: number;
}

async function main(): Promise<void> {
  const startPort = intEnv('BATON_START_PORT', 7001);
  const count = intEnv('BATON_NODES', 3);
  const dataRoot = resolve(process.env.BATON_DATA ?? './data');
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const ports = names.map((_, i) => startPort + i);
  for (const port of ports) {
    if (!(await portFree(port))) {
      process.stderr.write(`local-cluster: port ${port} is in use; set BATON_START_PORT to another first port\n`);
      process.exit(1);
    }
  }
  const peers = names.map((n, i) => `${n}=http://${HOST}:${ports[i]}`).join(',');
  const serverBin = fileURLToPath(new URL('./baton-server.js', import.meta.url));
  mkdirSync(join(dataRoot, 'logs'), { recursive: true });

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  names.forEach((name, i) => {
    const log = createWriteStream(join(dataRoot, 'logs', `${name}.log`), { flags: 'a' });
    const child = spawn(
      process.execPath,
      [
        serverBin,
        '--id',
        name,
        '--listen',
        `${HOST}:${ports[i]}`,
        '--peers',
        peers,
        '--data-dir',
        join(dataRoot, name),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.pipe(log);
    if (child.stdout !== null && prettyLogsEnabled(process.env)) {
      prettyPrintLogs(child.stdout, process.stdout, process.stdout.isTTY === true);
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (!stopping) process.stderr.write(`[${name}] ${chunk.toString()}`);
    });
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (!stopping)
        process.stderr.write(`[${name}] exited (code ${code}, signal ${signal}); see data/logs/${name}.log\n`);
      if (stopping && children.size === 0) process.exit(0);
    });
    children.set(name, child);
  });

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping the cluster…\n');
    for (const child of children.values()) child.kill('SIGTERM');
    if (children.size === 0) process.exit(0);
    setTimeout(() => {
      for (const child of children.values()) child.kill('SIGKILL');
      process.exit(1);
    }, 15_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let statuses: NodeStatus[] = [];
  while (!stopping && Date.now() < deadline) {
    statuses = (await Promise.all(ports.map((p) => fetchStatus(p)))).filter((s): s is NodeStatus => s !== null);
    const leader = statuses.find((s) => s.role === 'leader');
    if (leader !== undefined && statuses.length === count) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (stopping) return;
  const leader = statuses.find((s) => s.role === 'leader');
  process.stdout.write(`\nBaton: local ${count}-node cluster (data in ${dataRoot})\n`);
  names.forEach((name, i) => {
    const s = statuses.find((x) => x.name === name);
    const role = s === undefined ? 'starting' : s.role;
    process.stdout.write(`  ${name}  ws://${HOST}:${ports[i]}/v1/client   ${role}\n`);
  });
  process.stdout.write(
    leader === undefined
      ? '\nno leader yet (see data/logs/*.log)\n'
      : `\nleader: ${leader.name} (term ${leader.term})\n`,
  );
  process.stdout.write(`status page: http://${HOST}:${ports[0]}/ (any node serves it) · metrics: /metrics\n`);
  process.stdout.write(
    'logs: data/logs/<node>.log (JSON) · status: curl http://127.0.0.1:PORT/v1/status · Ctrl-C stops\n',
  );
}

function fetchStatus(port: number): Promise<NodeStatus | null> {
  return new Promise((resolveStatus) => {
    const req = get({ host: HOST, port, path: '/v1/status', timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolveStatus(JSON.parse(body) as NodeStatus);
        } catch {
          resolveStatus(null);
        }
      });
    });
    req.on('error', () => resolveStatus(null));
    req.on('timeout', () => req.destroy());
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const srv = createServer();
    srv.once('error', () => r(false));
    srv.listen(port, HOST, () => srv.close(() => r(true)));
  });
}

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65_535) {
    process.stderr.write(`local-cluster: ${name} must be a positive integer, got ${raw}\n`);
    process.exit(2);
  }
  return n;
}

main().catch((err: unknown) => {
  process.stderr.write(`local-cluster: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
