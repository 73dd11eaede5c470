/** `--log-level` reaches the logger from each of its three sources, and child loggers keep it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseServerConfig } from './config.js';
import { createLogger } from './logger.js';

const BASE = ['--id', 'n1', '--peers', 'n1=http://127.0.0.1:7001', '--data-dir', '/tmp/x'];

function levelOf(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  const parsed = parseServerConfig(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected run, got ${parsed.kind}`);
  return parsed.config.logLevel;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('log level', () => {
  it('comes from the flag, then BATON_LOG_LEVEL, then the config file, then the default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-loglevel-'));
    dirs.push(dir);
    const file = join(dir, 'baton.json');
    writeFileSync(file, JSON.stringify({ 'log-level': 'error' }));
    expect(levelOf(BASE)).toBe('info');
    expect(levelOf([...BASE, '--config', file])).toBe('error');
    expect(levelOf([...BASE, '--config', file], { BATON_LOG_LEVEL: 'warn' })).toBe('warn');
    expect(levelOf([...BASE, '--config', file, '--log-level', 'debug'], { BATON_LOG_LEVEL: 'warn' })).toBe('debug');
  });

  it('is what the logger and its per-component children use', () => {
    const logger = createLogger({ level: 'warn', nodeName: 'n1' });
    const raft = logger.child({ component: 'raft' });
    expect(raft.level).toBe('warn');
    expect(raft.isLevelEnabled('info')).toBe(false);
    expect(raft.isLevelEnabled('warn')).toBe(true);
    expect(raft.bindings()).toMatchObject({ node: 'n1', component: 'raft' });
  });
});
