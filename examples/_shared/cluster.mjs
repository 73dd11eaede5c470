/**
 * The examples' cluster. With BATON_ENDPOINTS set (e.g. `npm start` in another terminal, or a
 * real deployment) the examples use it. Without, they start an embedded one: three
 * `baton-server` processes on free loopback ports with data in a temp directory, removed again
 * by stop() — so `npm run example:…` works on a fresh clone after `npm run build`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
const NODE_COUNT = 3;
/** Three fresh processes elect a leader in about a second; a loaded CI machine gets more. */
const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 100;
const STOP_TIMEOUT_MS = 5_000;

/**
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<{ endpoints: string[], embedded: boolean, stop: () => Promise<void> }>}
 */
export async function useCluster(options = {}) {
  const log = options.log ?? ((line) => console.log(line));
  const given = process.env.BATON_ENDPOINTS;
  if (given !== undefined && given.trim() !== '') {
    const endpoints = given
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    log(`cluster: BATON_ENDPOINTS=${endpoints.join(',')}`);
    return { endpoints, embedded: false, stop: async () => {} };
  }
  return startEmbeddedCluster(log);
}

async function startEmbeddedCluster(log) {
  const serverBin = fileURLToPath(new URL('./bin/baton-server.js', import.meta.resolve('@baton/server')));
  if (!existsSync(serverBin)) throw new Error(`${serverBin} is missing: run \`npm run build\` first`);
  const root = mkdtempSync(join(tmpdir(), 'baton-example-'));
  const ports = [];
  while (ports.length < NODE_COUNT) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const names = ports.map((_, i) => `n${i + 1}`);
  const peers = names.map((n, i) => `${n}=http://${HOST}:${ports[i]}`).join(',');
  // the servers read BATON_* variables as flags: give them none of ours
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
  const children = names.map((name, i) => {
    const child = spawn(
      process.execPath,
      [serverBin, '--id', name, '--listen', `${HOST}:${ports[i]}`, '--peers', peers, '--data-dir', join(root, name)],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...env, BATON_LOG_LEVEL: 'warn' } },
    );
    let tail = '';
    child.stderr.on('data', (chunk) => {
      tail = (tail + chunk.toString()).slice(-4_000);
    });
    return { name, child, tail: () => tail };
  });
  // if the example dies, its servers die with it
  const killAll = () => {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      children.map(({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        return exited.finally(() => clearTimeout(force));
      }),
    );
    process.off('exit', killAll);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const leader = await waitForLeader(ports);
    log(
      `cluster: embedded, 3 baton-server processes on ${ports.map((p) => `${HOST}:${p}`).join(', ')} (leader ${leader}; data in ${root})`,
    );
  } catch (err) {
    const logs = children.map((c) => `--- ${c.name}\n${c.tail()}`).join('\n');
    await stop();
    throw new Error(`${err.message}\n${logs}`);
  }
  return { endpoints: ports.map((p) => `ws://${HOST}:${p}`), embedded: true, stop };
}

/** Resolves the leader's name once every node names the same leader. */
async function waitForLeader(ports) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const statuses = await Promise.all(ports.map(status));
    const leaders = new Set(statuses.map((s) => s?.leader ?? null));
    const [leader] = leaders;
    if (leaders.size === 1 && leader !== null && statuses.some((s) => s?.name === leader && s.role === 'leader')) {
      return leader;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`the embedded cluster elected no leader within ${READY_TIMEOUT_MS} ms`);
}

function status(port) {
  return new Promise((resolve) => {
    const req = get({ host: HOST, port, path: '/v1/status', timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(null);
        }
      });
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => req.destroy());
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
