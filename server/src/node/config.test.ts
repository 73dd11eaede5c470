import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, ConfigError, parseServerConfig, type ServerConfig } from './config.js';
import { nodeIdFromName } from './members.js';

const PEERS = 'n1=http://127.0.0.1:7001,n2=http://127.0.0.1:7002,n3=http://127.0.0.1:7003';

function run(argv: string[], env: NodeJS.ProcessEnv = {}): ServerConfig {
  const parsed = parseServerConfig(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected run, got ${parsed.kind}`);
  return parsed.config;
}

function flagOf(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseServerConfig(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.flag;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('parseServerConfig', () => {
  it('reads the documented flags', () => {
    const c = run(['--id', 'n2', '--listen', '127.0.0.1:7002', '--peers', PEERS, '--data-dir', '/tmp/d2']);
    expect(c.name).toBe('n2');
    expect(c.listenPort).toBe(7002);
    expect(c.members.map((m) => m.name)).toEqual(['n1', 'n2', 'n3']);
    expect(c.members[0]?.clientUrl).toBe('ws://127.0.0.1:7001/v1/client');
    expect(c.members[1]?.id).toBe(nodeIdFromName('n2'));
    expect(c.dataDir).toBe('/tmp/d2');
  });

  it('reads the election timing flags, with the defaults when absent', () => {
    const base = ['--id', 'n1', '--peers', PEERS, '--data-dir', '/tmp/x'];
    expect(run(base)).toMatchObject({
      tickMs: CONFIG_DEFAULTS.tickMs,
      electionTimeoutTicks: CONFIG_DEFAULTS.electionTimeoutTicks,
      electionJitterTicks: CONFIG_DEFAULTS.electionJitterTicks,
      heartbeatTicks: CONFIG_DEFAULTS.heartbeatTicks,
    });
    expect(run([...base, '--election-ticks', '20', '--election-jitter-ticks', '20']).electionJitterTicks).toBe(20);
  });

  it('takes BATON_* variables when a flag is absent, and flags win over them', () => {
    const env = { BATON_ID: 'n3', BATON_PEERS: PEERS, BATON_DATA_DIR: '/tmp/e', BATON_TICK_MS: '20' };
    expect(run([], env).name).toBe('n3');
    expect(run([], env).tickMs).toBe(20);
    expect(run(['--id', 'n1'], env).name).toBe('n1');
  });

  it('reads a JSON config file below environment and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
    dirs.push(dir);
    const file = join(dir, 'baton.json');
    writeFileSync(file, JSON.stringify({ id: 'n1', peers: PEERS, 'data-dir': '/tmp/f', 'election-ticks': 20 }));
    const c = run(['--config', file]);
    expect(c.electionTimeoutTicks).toBe(20);
    expect(run(['--config', file], { BATON_ID: 'n2' }).name).toBe('n2');
    writeFileSync(file, JSON.stringify({ idd: 'n1' }));
    expect(flagOf(['--config', file])).toBe('config');
    writeFileSync(file, '{nope');
    expect(flagOf(['--config', file])).toBe('config');
  });

  it('--dev needs nothing else', () => {
    const c = run(['--dev']);
    expect(c.dev).toBe(true);
    expect(c.members).toHaveLength(1);
    expect(c.members[0]?.name).toBe(c.name);
  });

  it('names the flag of every bad value', () => {
    const base = ['--id', 'n1', '--peers', PEERS, '--data-dir', '/tmp/x'];
    expect(flagOf(['--peers', PEERS, '--data-dir', '/tmp/x'])).toBe('id');
    expect(flagOf(['--id', 'n9', '--peers', PEERS, '--data-dir', '/tmp/x'])).toBe('id');
    expect(flagOf(['--id', 'n1', '--data-dir', '/tmp/x'])).toBe('peers');
    expect(flagOf(['--id', 'n1', '--peers', PEERS])).toBe('data-dir');
    expect(flagOf([...base, '--listen', 'nope'])).toBe('listen');
    expect(flagOf([...base, '--listen', '127.0.0.1:99999'])).toBe('listen');
    expect(flagOf([...base, '--tick-ms', '-5'])).toBe('tick-ms');
    expect(flagOf([...base, '--tick-ms', '1.5'])).toBe('tick-ms');
    // a heartbeat interval must be below the election timeout
    expect(flagOf([...base, '--heartbeat-ticks', String(CONFIG_DEFAULTS.electionTimeoutTicks)])).toBe(
      'heartbeat-ticks',
    );
    expect(flagOf([...base, '--election-jitter-ticks', '0'])).toBe('election-jitter-ticks');
    // one tick of jitter is none at all: every follower would time out in the same tick
    expect(flagOf([...base, '--election-jitter-ticks', '1'])).toBe('election-jitter-ticks');
    expect(flagOf([...base, '--log-level', 'loud'])).toBe('log-level');
    expect(flagOf(['--id', 'n1', '--peers', 'n1=ftp://x:1', '--data-dir', '/tmp/x'])).toBe('peers');
    expect(flagOf(['--id', 'n1', '--peers', 'n1=http://a:1,n1=http://b:2', '--data-dir', '/tmp/x'])).toBe('peers');
    expect(flagOf([...base, '--client-urls', 'n7=ws://x:1/v1/client'])).toBe('client-urls');
    expect(flagOf([...base, '--bogus'])).toBe('bogus');
  });
});
