import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINTS, DEFAULT_KILL_GRACE_MS, DEFAULT_TTL_MS, parseInvocation } from './args.js';
import { UsageError } from './exit-codes.js';

const noEnv = {};

describe('parseInvocation', () => {
  it('parses lock with its flags and keeps everything after the first -- verbatim', () => {
    const inv = parseInvocation(
      [
        'lock',
        'jobs/report',
        '--ttl',
        '5s',
        '--timeout=2m',
        '--kill-grace',
        '1s',
        '--limit',
        '3',
        '--',
        'sh',
        '-c',
        'echo --ttl',
        '--',
        'x',
      ],
      noEnv,
    );
    expect(inv).toEqual({
      kind: 'lock',
      globals: { endpoints: DEFAULT_ENDPOINTS, token: undefined, json: false },
      args: {
        name: 'jobs/report',
        ttlMs: 5_000,
        timeoutMs: 120_000,
        killGraceMs: 1_000,
        command: ['sh', '-c', 'echo --ttl', '--', 'x'],
        try: false,
        limit: 3,
      },
    });
  });

  it('has defaults for lock, and global flags may come before the command', () => {
    const inv = parseInvocation(['--json', '--token', 's3cret', 'lock', 'n', '--try', '--', 'true'], noEnv);
    expect(inv).toMatchObject({
      kind: 'lock',
      globals: { token: 's3cret', json: true },
      args: { ttlMs: DEFAULT_TTL_MS, timeoutMs: undefined, killGraceMs: DEFAULT_KILL_GRACE_MS, try: true, limit: 1 },
    });
  });

  it('takes endpoints from --endpoints, else BATON_ENDPOINTS, else the local defaults', () => {
    const env = { BATON_ENDPOINTS: 'ws://a:1, ws://b:2/v1/client ,', BATON_TOKEN: 'from-env' };
    expect(parseInvocation(['status'], env)).toEqual({
      kind: 'status',
      globals: { endpoints: ['ws://a:1', 'ws://b:2/v1/client'], token: 'from-env', json: false },
    });
    expect(parseInvocation(['status', '--endpoints', 'wss://c:3'], env)).toMatchObject({
      globals: { endpoints: ['wss://c:3'] },
    });
    expect(parseInvocation(['status'], { BATON_ENDPOINTS: ' ' })).toMatchObject({
      globals: { endpoints: DEFAULT_ENDPOINTS },
    });
  });

  it('parses elect with and without a command, observe and describe', () => {
    expect(parseInvocation(['elect', 'workers/primary', 'worker-a'], noEnv)).toMatchObject({
      kind: 'elect',
      args: { name: 'workers/primary', value: 'worker-a', command: [] },
    });
    expect(parseInvocation(['elect', 'p', 'v', '--ttl', '3s', '--', 'node', 'w.js'], noEnv)).toMatchObject({
      kind: 'elect',
      args: { ttlMs: 3_000, command: ['node', 'w.js'] },
    });
    expect(parseInvocation(['observe', 'p'], noEnv)).toMatchObject({ kind: 'observe', name: 'p' });
    expect(parseInvocation(['describe', 'p', '--json'], noEnv)).toMatchObject({
      kind: 'describe',
      name: 'p',
      globals: { json: true },
    });
  });

  it('answers help and version requests', () => {
    expect(parseInvocation([], noEnv)).toEqual({ kind: 'help', command: null });
    expect(parseInvocation(['--help'], noEnv)).toEqual({ kind: 'help', command: null });
    expect(parseInvocation(['help', 'lock'], noEnv)).toEqual({ kind: 'help', command: 'lock' });
    expect(parseInvocation(['elect', '-h'], noEnv)).toEqual({ kind: 'help', command: 'elect' });
    expect(parseInvocation(['--version'], noEnv)).toEqual({ kind: 'version' });
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['lock'], /missing <name>/],
    [['lock', 'n'], /missing the command to run after --/],
    [['lock', 'n', '--'], /missing the command to run after --/],
    [['lock', 'n', 'echo', 'hi'], /unexpected argument "echo" \(put the command to run after --\)/],
    [['lock', 'n', '--try', '--timeout', '1s', '--', 'true'], /--try and --timeout exclude each other/],
    [['lock', 'n', '--ttl', '10', '--', 'true'], /--ttl: "10" is not a duration/],
    [['lock', 'n', '--ttl', '500ms', '--', 'true'], /--ttl: must be between 1s and 300s/],
    [['lock', 'n', '--timeout', '2h', '--', 'true'], /--timeout: at most 60m/],
    [['lock', 'n', '--limit', '0', '--', 'true'], /--limit: must be a whole number/],
    [['lock', 'n', '--limit', '1.5', '--', 'true'], /--limit: must be a whole number/],
    [['lock', 'n', '--bogus', '--', 'true'], /Unknown option '--bogus'/],
    [['elect', 'n'], /usage: baton elect <name> <value>/],
    [['observe', 'n', '--try'], /baton observe has no --try option/],
    [['describe', 'n', '--', 'x'], /runs no command/],
    [['status', 'extra'], /unexpected argument "extra"/],
    [['status', '--endpoints', 'http://a:1'], /--endpoints: .*must start with ws:\/\/ or wss:\/\//],
    [['status', '--endpoints', ','], /--endpoints: no endpoint given/],
    [['status', '--token', ''], /--token: must not be empty/],
    [['status', '--ca', '/no/such/ca.pem'], /--ca: cannot read \/no\/such\/ca.pem \(ENOENT\)/],
    [['status', '--cert', '/no/such/cert.pem'], /--cert: cannot read/],
  ])('refuses %j', (argv, message) => {
    let error: unknown;
    try {
      parseInvocation(argv, noEnv);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('TLS options', () => {
  it('reads --ca, --cert and --key (or BATON_CA, BATON_CERT, BATON_KEY) before connecting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-cli-tls-'));
    try {
      const file = (name: string) => {
        const path = join(dir, name);
        writeFileSync(path, `PEM ${name}`);
        return path;
      };
      const [ca, cert, key] = [file('ca.pem'), file('cert.pem'), file('key.pem')];
      const inv = parseInvocation(['status', '--ca', ca], noEnv);
      expect(inv.kind === 'status' && inv.globals.tls).toEqual({ ca: Buffer.from('PEM ca.pem') });
      const fromEnv = parseInvocation(['status'], { BATON_CA: ca, BATON_CERT: cert, BATON_KEY: key });
      expect(fromEnv.kind === 'status' && fromEnv.globals.tls).toEqual({
        ca: Buffer.from('PEM ca.pem'),
        cert: Buffer.from('PEM cert.pem'),
        key: Buffer.from('PEM key.pem'),
      });
      expect(() => parseInvocation(['status', '--cert', cert], noEnv)).toThrow(/--cert and --key go together/);
      const none = parseInvocation(['status'], noEnv);
      expect(none.kind === 'status' && none.globals.tls).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
