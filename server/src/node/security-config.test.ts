import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIMITS } from '@baton/proto-schemas';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseServerConfig, type ServerConfig } from './config.js';

const PEERS = 'n1=http://127.0.0.1:7001,n2=http://127.0.0.1:7002';
const BASE = ['--id', 'n1', '--peers', PEERS, '--data-dir', '/tmp/x'];
const TOKEN = 'a-token-of-enough-length-0123';

function run(argv: string[], env: NodeJS.ProcessEnv = {}): ServerConfig {
  const parsed = parseServerConfig(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected run, got ${parsed.kind}`);
  return parsed.config;
}

function errorOf(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseServerConfig(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const dirs: string[] = [];
function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-sec-config-'));
  dirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('security flags', () => {
  it('default to plaintext, auth off and the LIMITS defaults', () => {
    const c = run(BASE).security;
    expect(c.clientTls).toBeNull();
    expect(c.peerTls).toBeNull();
    expect(c.peerListen).toBeNull();
    expect(c.authTokens).toBeNull();
    expect(c.clientLimits).toEqual({
      requestsPerSecondPerConnection: LIMITS.requestsPerSecondPerConnection,
      requestsPerSecondPerIdentity: LIMITS.requestsPerSecondPerIdentity,
      maxConnectionsPerAddress: LIMITS.maxConnectionsPerAddress,
      maxSessionsPerIdentity: LIMITS.maxSessionsPerIdentity,
      maxWaitsPerIdentity: LIMITS.maxWaitsPerIdentity,
    });
  });

  it('read the limits from flags, BATON_* and the config file', () => {
    const file = tempFile('c.json', JSON.stringify({ 'max-waits-per-identity': 7, 'identity-rate-limit': '0' }));
    const c = run([...BASE, '--rate-limit', '50', '--config', file], { BATON_MAX_SESSIONS_PER_IDENTITY: '9' });
    expect(c.security.clientLimits).toMatchObject({
      requestsPerSecondPerConnection: 50,
      requestsPerSecondPerIdentity: 0,
      maxSessionsPerIdentity: 9,
      maxWaitsPerIdentity: 7,
    });
  });

  it.each([
    [['--rate-limit', '-1'], 'rate-limit'],
    [['--identity-rate-limit', 'lots'], 'identity-rate-limit'],
    [['--max-connections-per-address', '0'], 'max-connections-per-address'],
    [['--max-sessions-per-identity', '1.5'], 'max-sessions-per-identity'],
    [['--max-waits-per-identity', ''], 'max-waits-per-identity'],
    [['--tls-key', '/k.pem'], 'tls-cert'],
    [['--tls-cert', '/c.pem'], 'tls-key'],
    [['--tls-ca', '/ca.pem'], 'tls-ca'],
    [['--peer-tls-cert', '/c.pem', '--peer-tls-ca', '/ca.pem'], 'peer-tls-key'],
    [['--peer-tls-key', '/k.pem', '--peer-tls-ca', '/ca.pem'], 'peer-tls-cert'],
    [['--peer-tls-cert', '/c.pem', '--peer-tls-key', '/k.pem'], 'peer-tls-ca'],
    [['--tls-cert', '/c.pem', '--tls-key', '/k.pem'], 'peer-listen'],
    [['--peer-listen', 'nowhere'], 'peer-listen'],
    // with a peer listener the client URLs cannot be derived from the peer URLs
    [['--peer-listen', '127.0.0.1:7101'], 'client-urls'],
    // mutual TLS between peers needs https:// peer URLs
    [
      [
        '--peer-listen',
        '127.0.0.1:7101',
        '--peer-tls-cert',
        '/c.pem',
        '--peer-tls-key',
        '/k.pem',
        '--peer-tls-ca',
        '/ca.pem',
        '--client-urls',
        'n1=ws://127.0.0.1:7001/v1/client,n2=ws://127.0.0.1:7002/v1/client',
      ],
      'peers',
    ],
    [['--auth-tokens', '/does/not/exist.json'], 'auth-tokens'],
  ])('%j is refused naming --%s', (extra, flag) => {
    expect(errorOf([...BASE, ...extra]).flag).toBe(flag);
  });

  it('refuses an https:// peer URL without peer TLS, and ws:// client URLs with client TLS', () => {
    expect(errorOf(['--id', 'n1', '--peers', 'n1=https://127.0.0.1:7001', '--data-dir', '/tmp/x']).flag).toBe('peers');
    const withPeerListen = [
      '--id',
      'n1',
      '--peers',
      'n1=http://127.0.0.1:7101',
      '--data-dir',
      '/tmp/x',
      '--peer-listen',
      '127.0.0.1:7101',
      '--client-urls',
      'n1=ws://127.0.0.1:7001/v1/client',
    ];
    expect(run(withPeerListen).security.peerListen).toEqual({ host: '127.0.0.1', port: 7101 });
    expect(errorOf([...withPeerListen, '--tls-cert', '/c.pem', '--tls-key', '/k.pem']).flag).toBe('client-urls');
  });

  it('reports unreadable and non-PEM certificate files on their own flag', () => {
    const junk = tempFile('junk.pem', 'not a certificate');
    const tls = ['--peer-listen', '127.0.0.1:7101', '--client-urls', 'n1=wss://a:1/v1/client,n2=wss://b:2/v1/client'];
    expect(errorOf([...BASE, ...tls, '--tls-cert', '/nope.pem', '--tls-key', junk]).flag).toBe('tls-cert');
    const notPem = errorOf([...BASE, ...tls, '--tls-cert', junk, '--tls-key', junk]);
    expect(notPem.flag).toBe('tls-cert');
    expect(notPem.message).toContain('not a PEM certificate');
  });

  it('loads a token file, and names the key at fault in a bad one', () => {
    const good = tempFile(
      'tokens.json',
      JSON.stringify({ tokens: [{ name: 'a', token: TOKEN, permissions: { '': ['read'] } }] }),
    );
    const c = run([...BASE, '--auth-tokens', good]).security;
    expect(c.authTokensFile).toBe(good);
    expect(c.authTokens?.entries).toHaveLength(1);
    const bad = tempFile(
      'bad.json',
      JSON.stringify({ tokens: [{ name: 'a', token: TOKEN, permissions: { 'jobs/': ['write'] } }] }),
    );
    const err = errorOf([...BASE, '--auth-tokens', bad]);
    expect(err.flag).toBe('auth-tokens');
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('tokens[0].permissions["jobs/"][0]');
  });
});

describe('the config file (zod)', () => {
  it('takes every security flag as a key', () => {
    const tokens = tempFile('t.json', JSON.stringify({ tokens: [] }));
    const file = tempFile(
      'c.json',
      JSON.stringify({
        id: 'n1',
        peers: 'n1=http://127.0.0.1:7101',
        'data-dir': '/tmp/x',
        'peer-listen': '127.0.0.1:7101',
        'client-urls': 'n1=ws://127.0.0.1:7001/v1/client',
        'auth-tokens': tokens,
        'rate-limit': 10,
        dev: false,
      }),
    );
    const c = run(['--config', file]);
    expect(c.security.peerListen?.port).toBe(7101);
    expect(c.security.authTokens?.entries).toEqual([]);
    expect(c.security.clientLimits.requestsPerSecondPerConnection).toBe(10);
  });

  it.each([
    [{ 'rate-limit': true }, 'rate-limit', '["rate-limit"]'],
    [{ dev: 'yes' }, 'dev', 'dev'],
    [{ 'tls-cert': ['a'] }, 'tls-cert', '["tls-cert"]'],
    [{ tokens: [] }, 'config', 'unknown key "tokens"'],
    [[1, 2], 'config', '(top level)'],
  ])('%j is refused naming the key', (json, flag, named) => {
    const file = tempFile('c.json', JSON.stringify(json));
    const err = errorOf([...BASE, '--config', file]);
    expect(err.flag).toBe(flag);
    expect(err.message).toContain(named);
  });
});
