/**
 * Operating a TLS cluster (wss:// clients, mutual TLS on separate peer listeners) on real
 * processes: the status page's member probes reach every member through the peer listeners;
 * SIGHUP rotates the peer certificates and CA (new peer links and probes use the new ones, a
 * certificate of the old CA is refused) and the client certificate (a client trusting only the
 * new CA connects, one trusting only the old one is refused, an open connection stays); a reload
 * with a bad file is logged and changes nothing.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { freePort, HOST, waitFor } from '../cluster/harness.js';
import { type CertificateAuthority, type Leaf, makeCa, makeLeaf } from './certs.js';
import { RawClient } from './raw-client.js';
import { SecureNode, waitForLeader } from './secure-node.js';

const HOOK_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 120_000;
const READ_TOKEN = 'reader-token-for-tls-ops-0001';

interface Files {
  readonly clientCert: string;
  readonly clientKey: string;
  readonly peerCert: string;
  readonly peerKey: string;
}

let dir: string;
let clientCa: CertificateAuthority;
let peerCaFile: string;
let nodes: SecureNode[];
let files: Files[];
let peerPorts: number[];

async function distinctPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  return ports;
}

/** Puts `leaf` where a node reads its certificate and key (the paths given at start stay). */
function install(leaf: Leaf, cert: string, key: string): void {
  copyFileSync(leaf.certFile, cert);
  copyFileSync(leaf.keyFile, key);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-tls-ops-'));
  const peerCa = makeCa(dir, 'peer-ca');
  clientCa = makeCa(dir, 'client-ca');
  peerCaFile = join(dir, 'peer-trust.pem');
  copyFileSync(peerCa.certFile, peerCaFile);
  const tokens = join(dir, 'tokens.json');
  writeFileSync(
    tokens,
    JSON.stringify({ tokens: [{ name: 'dash', token: READ_TOKEN, permissions: { '': ['read'] } }] }),
  );
  const names = ['n1', 'n2', 'n3'];
  const ports = await distinctPorts(6);
  const clientPorts = ports.slice(0, 3);
  peerPorts = ports.slice(3);
  const peers = names.map((n, i) => `${n}=https://${HOST}:${peerPorts[i]}`).join(',');
  const clientUrls = names.map((n, i) => `${n}=wss://${HOST}:${clientPorts[i]}/v1/client`).join(',');
  files = names.map((name) => {
    const f: Files = {
      clientCert: join(dir, `${name}-client.pem`),
      clientKey: join(dir, `${name}-client.key`),
      peerCert: join(dir, `${name}-peer.pem`),
      peerKey: join(dir, `${name}-peer.key`),
    };
    install(makeLeaf(dir, clientCa, name), f.clientCert, f.clientKey);
    install(makeLeaf(dir, peerCa, name), f.peerCert, f.peerKey);
    return f;
  });
  nodes = names.map((name, i) => {
    const f = files[i] as Files;
    return new SecureNode(
      name,
      clientPorts[i] as number,
      [
        ...['--id', name, '--data-dir', join(dir, name), '--log-level', 'info'],
        ...['--listen', `${HOST}:${clientPorts[i]}`, '--peer-listen', `${HOST}:${peerPorts[i]}`],
        ...['--peers', peers, '--client-urls', clientUrls, '--auth-tokens', tokens],
        ...['--tls-cert', f.clientCert, '--tls-key', f.clientKey],
        ...['--peer-tls-cert', f.peerCert, '--peer-tls-key', f.peerKey, '--peer-tls-ca', peerCaFile],
      ],
      readFileSync(clientCa.certFile),
    );
  });
  for (const n of nodes) n.start();
  await waitForLeader(nodes, 60_000);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all((nodes ?? []).map((n) => n.kill()));
  rmSync(dir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

interface OverviewMember {
  readonly name: string;
  readonly reachable: boolean;
  readonly error: string | null;
  readonly role: string | null;
}

/** GET /v1/overview over HTTPS trusting `ca`, with the read token. */
function overview(node: SecureNode, ca: Buffer): Promise<{ members: OverviewMember[] }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: HOST,
        port: node.clientPort,
        path: '/v1/overview',
        ca,
        headers: { authorization: `Bearer ${READ_TOKEN}` },
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${body}`));
          else resolve(JSON.parse(body) as { members: OverviewMember[] });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Until every member shows reachable with a role in `node`'s overview. */
async function everyMemberVisibleFrom(node: SecureNode, ca: Buffer): Promise<OverviewMember[]> {
  return waitFor(
    `every member visible from ${node.name}`,
    async () => {
      const o = await overview(node, ca).catch(() => null);
      if (o === null || o.members.length !== nodes.length) return null;
      return o.members.every((m) => m.reachable && m.role !== null) ? o.members : null;
    },
    20_000,
  );
}

/** Resolves 'open', or the error that ended the attempt. */
function tryConnect(url: string, options: ConstructorParameters<typeof WebSocket>[2]): Promise<string> {
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

function count(node: SecureNode, text: string): number {
  return node.output.split(text).length - 1;
}

async function sighup(node: SecureNode, logLine: string): Promise<void> {
  const before = count(node, logLine);
  node.signal('SIGHUP');
  await node.waitForOutput(new RegExp(`(${logLine}[\\s\\S]*){${before + 1}}`));
}

describe('TLS operations', { timeout: TEST_TIMEOUT_MS }, () => {
  it('every member status is visible from any node through the mutual-TLS peer listeners', async () => {
    const ca = readFileSync(clientCa.certFile);
    for (const node of nodes) {
      const members = await everyMemberVisibleFrom(node, ca);
      expect(members.map((m) => m.name).sort()).toEqual(['n1', 'n2', 'n3']);
      expect(members.filter((m) => m.role === 'leader')).toHaveLength(1);
    }
  });

  it('SIGHUP rotates the peer certificates and CA: new links and probes use them, the old CA is refused', async () => {
    const oldLeaf: Leaf = { certFile: join(dir, 'old-peer.pem'), keyFile: join(dir, 'old-peer.key') };
    copyFileSync((files[0] as Files).peerCert, oldLeaf.certFile);
    copyFileSync((files[0] as Files).peerKey, oldLeaf.keyFile);
    const newCa = makeCa(dir, 'peer-ca-2');
    copyFileSync(newCa.certFile, peerCaFile);
    nodes.forEach((n, i) => {
      const f = files[i] as Files;
      install(makeLeaf(dir, newCa, n.name), f.peerCert, f.peerKey);
    });
    for (const n of nodes) await sighup(n, 'peer TLS certificate reloaded');
    const newCaPem = readFileSync(newCa.certFile);

    // a peer presenting a certificate of the old CA is refused at the handshake now
    const refused = await tryConnect(`wss://${HOST}:${peerPorts[0]}/v1/peer`, {
      ca: newCaPem,
      cert: readFileSync(oldLeaf.certFile),
      key: readFileSync(oldLeaf.keyFile),
    });
    expect(refused).toMatch(/^error: /);
    // the probes present the new certificate to listeners that now trust only the new CA
    await everyMemberVisibleFrom(nodes[0] as SecureNode, readFileSync(clientCa.certFile));

    // a restarted member knows only the new CA: the others' new links to it must use the new
    // certificates, or it never hears from the leader
    const n3 = nodes[2] as SecureNode;
    await n3.kill();
    n3.start();
    const leader = await waitForLeader(nodes, 30_000);
    expect(['n1', 'n2', 'n3']).toContain(leader.name);
    await everyMemberVisibleFrom(nodes[1] as SecureNode, readFileSync(clientCa.certFile));
  });

  it('SIGHUP rotates the client certificate to a new CA; open connections stay; a bad file changes nothing', async () => {
    const n1 = nodes[0] as SecureNode;
    const f = files[0] as Files;
    const oldCa = readFileSync(clientCa.certFile);
    const url = `wss://${HOST}:${n1.clientPort}/v1/client`;
    const open = await RawClient.open(url, { ca: oldCa });
    expect((await open.request('hello', { clientId: 'kept', token: READ_TOKEN })).ok).toBe(true);

    const newCa = makeCa(dir, 'client-ca-2');
    install(makeLeaf(dir, newCa, 'n1'), f.clientCert, f.clientKey);
    await sighup(n1, 'client TLS certificate reloaded');
    const newCaPem = readFileSync(newCa.certFile);
    expect(await tryConnect(url, { ca: newCaPem })).toBe('open');
    expect(await tryConnect(url, { ca: oldCa })).toMatch(/^error: .*(certificate|self.signed|verify)/i);
    // the connection made before the rotation keeps working
    expect((await open.request('status')).ok).toBe(true);
    open.close();

    writeFileSync(f.clientCert, 'not a certificate\n');
    writeFileSync(f.peerKey, 'not a key\n');
    const peerFailures = count(n1, 'peer TLS NOT reloaded');
    await sighup(n1, 'client TLS NOT reloaded');
    await n1.waitForOutput(new RegExp(`(peer TLS NOT reloaded[\\s\\S]*){${peerFailures + 1}}`));
    expect(n1.output).toContain('tls-cert');
    expect(n1.output).toContain('peer-tls-key');
    expect(await tryConnect(url, { ca: newCaPem })).toBe('open');
    expect(n1.running).toBe(true);
    // the peer side kept its certificate too: n1 still reaches every member
    await everyMemberVisibleFrom(n1, newCaPem);
  });
});
