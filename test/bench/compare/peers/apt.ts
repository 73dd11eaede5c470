/**
 * Installs missing peers from Debian's packages with apt-get, when that can work (root, apt-get
 * present). Services the packages would start are kept from starting (a policy-rc.d that says
 * no, only while installing and only if none exists), and on a systemd machine the services of
 * packages installed here are stopped and disabled: the benchmark runs its own processes, on
 * free ports, with temp data directories.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import type { SystemName } from '../clients/lock-client.js';
import { DEBIAN_PACKAGES, findOnPath, findPeer } from './find.js';

type Peer = Exclude<SystemName, 'baton'>;

/** apt-get update + install may take this long before the peers are given up. */
const APT_TIMEOUT_MS = 10 * 60_000;
/** Waiting for another apt/dpkg to finish (seconds, apt's own option). */
const DPKG_LOCK_WAIT_S = 120;
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
/** The systemd units the packages install. */
const SERVICES: Readonly<Record<Peer, string>> = { etcd: 'etcd', zookeeper: 'zookeeper', redis: 'redis-server' };

export interface PeerAvailability {
  /** The server program, or null with the reason it is skipped. */
  readonly bin: string | null;
  readonly reason?: string;
  /** apt-get installed it during this run. */
  readonly installed?: boolean;
}

function run(
  cmd: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let output = '';
    const keep = (c: Buffer): void => {
      output = (output + c.toString()).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => keep(Buffer.from(err.message)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .pop() ?? ''
  );
}

export async function ensurePeers(
  peers: readonly Peer[],
  options: { install: boolean; log: (line: string) => void },
): Promise<Map<Peer, PeerAvailability>> {
  const result = new Map<Peer, PeerAvailability>();
  const missing: Peer[] = [];
  for (const p of peers) {
    const bin = findPeer(p);
    if (bin !== null) result.set(p, { bin });
    else missing.push(p);
  }
  if (missing.length === 0) return result;
  const pkgs = missing.map((p) => DEBIAN_PACKAGES[p]);
  const skip = (reason: string): Map<Peer, PeerAvailability> => {
    for (const p of missing) result.set(p, { bin: null, reason });
    return result;
  };
  if (!options.install) return skip(`not installed (apt-get install ${pkgs.join(' ')}), and --no-install was given`);
  if (findOnPath('apt-get') === null)
    return skip(`not installed, and there is no apt-get to install ${pkgs.join(' ')}`);
  if (process.getuid?.() !== 0)
    return skip(`not installed, and apt-get needs root (sudo apt-get install ${pkgs.join(' ')})`);

  options.log(`installing ${pkgs.join(' ')} with apt-get (once; later runs find them)…`);
  const t0 = performance.now();
  const guard = !existsSync(POLICY_RC_D);
  if (guard) {
    // exit 101 = "action forbidden": invoke-rc.d starts no service while this file exists
    writeFileSync(POLICY_RC_D, '#!/bin/sh\nexit 101\n');
    chmodSync(POLICY_RC_D, 0o755);
  }
  let install: { code: number | null; output: string };
  try {
    const update = await run('apt-get', ['update'], APT_TIMEOUT_MS);
    if (update.code !== 0) return skip(`apt-get update failed: ${lastLine(update.output)}`);
    install = await run(
      'apt-get',
      ['install', '-y', '--no-install-recommends', '-o', `DPkg::Lock::Timeout=${DPKG_LOCK_WAIT_S}`, ...pkgs],
      APT_TIMEOUT_MS,
    );
  } finally {
    if (guard) rmSync(POLICY_RC_D, { force: true });
  }
  options.log(`apt-get took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (install.code !== 0) return skip(`apt-get install ${pkgs.join(' ')} failed: ${lastLine(install.output)}`);
  await stopServices(missing);
  for (const p of missing) {
    const bin = findPeer(p);
    result.set(
      p,
      bin === null
        ? { bin, reason: `apt-get installed ${DEBIAN_PACKAGES[p]} but no server program was found` }
        : { bin, installed: true },
    );
  }
  return result;
}

/** On a systemd machine, the freshly installed services are stopped and disabled (best effort). */
async function stopServices(peers: readonly Peer[]): Promise<void> {
  if (findOnPath('systemctl') === null || !existsSync('/run/systemd/system')) return;
  await run('systemctl', ['disable', '--now', ...peers.map((p) => SERVICES[p])], 60_000);
}
