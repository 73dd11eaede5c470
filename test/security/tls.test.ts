/**
 * TLS on real processes: three nodes with wss:// client listeners and mutual TLS on separate peer
 * listeners (plus the HMAC peer secret). n3's peer certificate is signed by another CA: it is
 * refused both ways and the other two form the cluster without it. Plaintext clients, clients
 * without the CA, and peers without a certificate are refused; the SDK and the CLI work over
 * wss:// with the CA and a token.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonClient } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { BATON_BIN, CliProcess } from '../cli/run-cli.js';
import { freePort, HOST } from '../cluster/harness.js';
import { type CertificateAuthority, makeCa, makeLeaf } from './certs.js';
import { SecureNode, waitForLeader } from './secure-node.js';

const HOOK_TIMEOUT_MS = 90_000;
const OPS_TOKEN = 'ops-token-for-the-tls-test-0001';
const CRON_TOKEN = 'cron-token-for-the-tls-test-0002';

let dir: string;
let clientCa: CertificateAuthority;
let nodes: SecureNode[];
const clients: BatonClient[] = [];

async function distinctPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  return ports;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-tls-'));
  const peerCa = makeCa(dir, 'peer-ca');
  const rogueCa = makeCa(dir, 'rogue-ca');
  clientCa = makeCa(dir, 'client-ca');
  const tokens = join(dir, 'tokens.json');
  writeFileSync(
    tokens,
    JSON.stringify({
      tokens: [
        { name: 'ops', token: OPS_TOKEN, permissions: { '': ['admin'] } },
        { name: 'cron', token: CRON_TOKEN, permissions: { 'jobs/': ['lock'] } },
      ],
    }),
  );
  const names = ['n1', 'n2', 'n3'];
  const ports = await distinctPorts(6);
  const clientPorts = ports.slice(0, 3);
  const peerPorts = ports.slice(3);
  const peers = names.map((n, i) => `${n}=https://${HOST}:${peerPorts[i]}`).join(',');
  const clientUrls = names.map((n, i) => `${n}=wss://${HOST}:${clientPorts[i]}/v1/client`).join(',');
  const clientCaPem = readFileSync(clientCa.certFile);
  nodes = names.map((name, i) => {
    // n3's peer certificate comes from the wrong CA (it still trusts the right one)
    const peerLeaf = makeLeaf(dir, name === 'n3' ? rogueCa : peerCa, name);
    const clientLeaf = makeLeaf(dir, clientCa, name);
    return new SecureNode(
      name,
      clientPorts[i] as number,
      [
        ...['--id', name, '--data-dir', join(dir, name), '--log-level', 'info'],
        ...['--listen', `${HOST}:${clientPorts[i]}`, '--peer-listen', `${HOST}:${peerPorts[i]}`],
        ...['--peers', peers, '--client-urls', clientUrls, '--peer-secret', 'a-shared-peer-secret-of-some-length'],
        ...['--tls-cert', clientLeaf.certFile, '--tls-key', clientLeaf.keyFile],
        ...['--peer-tls-cert', peerLeaf.certFile, '--peer-tls-key', peerLeaf.keyFile, '--peer-tls-ca', peerCa.certFile],
        ...['--auth-tokens', tokens],
      ],
      clientCaPem,
    );
  });
  for (const n of nodes) n.start();
  await waitForLeader(nodes.slice(0, 2), 60_000);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all((nodes ?? []).map((n) => n.kill()));
  rmSync(dir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

function endpoints(): string[] {
  return nodes.map((n) => n.endpoint);
}

/** Resolves 'open', or the error / unexpected HTTP status that ended the attempt. */
function tryConnect(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: 5_000, ...options });
    ws.on('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(`http ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

describe('TLS and mutual TLS between peers', () => {
  it('the two good peers form a cluster; the peer with a certificate from another CA is refused', async () => {
    const leader = await waitForLeader(nodes.slice(0, 2));
    expect(['n1', 'n2']).toContain(leader.name);
    const [n1, n2, n3] = nodes as [SecureNode, SecureNode, SecureNode];
    // n3 dials n1 and n2 with its rogue certificate: their peer listeners refuse the handshake
    await n1.waitForOutput('peer refused: TLS handshake failed');
    await n2.waitForOutput('peer refused: TLS handshake failed');
    // and n1/n2 refuse n3's rogue server certificate when they dial it (n3 sees the alert)
    await n3.waitForOutput('peer refused: TLS handshake failed');
    const st = await n3.status();
    expect(st?.leader).toBeNull();
    expect(n3.output).not.toContain('peer link open');
  });

  it('a peer that presents no certificate is refused at the TLS handshake', async () => {
    const peerCaPem = readFileSync(join(dir, 'peer-ca.pem'));
    const peerPort = Number(/--peer-listen\s*\S*?:(\d+)/.exec(nodes[0]!.args.join(' '))?.[1]);
    const result = await tryConnect(`wss://${HOST}:${peerPort}/v1/peer`, { ca: peerCaPem });
    expect(result).toMatch(/^error: .*certificate required/);
    await nodes[0]!.waitForOutput('peer did not return a certificate');
  });

  it('the client port does not serve /v1/peer, so mutual TLS cannot be bypassed', async () => {
    const ca = readFileSync(clientCa.certFile);
    expect(await tryConnect(`wss://${HOST}:${nodes[0]!.clientPort}/v1/peer`, { ca })).toBe('http 404');
  });

  it('a plaintext client against the TLS client listener is refused, and the node serves on', async () => {
    const result = await tryConnect(`ws://${HOST}:${nodes[0]!.clientPort}/v1/client`);
    expect(result).toMatch(/^error: /);
    const ca = readFileSync(clientCa.certFile);
    expect(await tryConnect(`wss://${HOST}:${nodes[0]!.clientPort}/v1/client`, { ca })).toBe('open');
  });

  it('the SDK works over wss:// with the CA and a token, and fails cleanly without the CA', async () => {
    const ca = readFileSync(clientCa.certFile);
    const client = await BatonClient.connect({ endpoints: endpoints(), tls: { ca }, token: CRON_TOKEN });
    clients.push(client);
    const session = await client.session({ ttlMs: 10_000 });
    const lock = await session.acquire('jobs/tls', { timeoutMs: 5_000 });
    expect(lock.token).toBeGreaterThan(0);
    expect(await client.checkFence('jobs/tls', lock.token)).toBe(true);
    await expect(session.acquire('other/tls', { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    await lock.release();
    await session.close();

    const err = await BatonClient.connect({ endpoints: endpoints(), token: CRON_TOKEN, requestTimeoutMs: 1_500 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'UNAVAILABLE' });
    expect(String((err as Error).message)).toMatch(/certificate/i);
  });

  it('the baton CLI takes --ca and BATON_TOKEN for wss://', async () => {
    const run = (env: Record<string, string>) => {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
      const proc = spawn(
        process.execPath,
        [BATON_BIN, 'status', '--json', '--ca', clientCa.certFile, '--endpoints', endpoints().join(',')],
        { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      return new CliProcess(proc).exit();
    };
    const ok = await run({ BATON_TOKEN: OPS_TOKEN });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ leaderId: expect.stringMatching(/^n[12]$/) });
    const refused = await run({});
    expect(refused.code).toBe(77);
    expect(refused.stderr).toContain('UNAUTHENTICATED');
  });

  it('no token ever reaches a log line', () => {
    for (const n of nodes) {
      expect(n.output).not.toContain(OPS_TOKEN);
      expect(n.output).not.toContain(CRON_TOKEN);
      expect(n.output).not.toContain('a-shared-peer-secret-of-some-length');
    }
  });
});
