/** The check-history command, run in-process with captured output (its wiring is one line in cli.ts). */
import { describe, expect, it } from 'vitest';
import { EXIT, runCheckHistory } from './cli-main.js';
import { CORPUS_DIR } from './corpus.js';
import { jsonl, rec } from './testing/baton-lines.js';

function run(argv: string[], files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCheckHistory(argv, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT: no such file');
      return text;
    },
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const overlapping = jsonl([
  rec('a', [0, 1], 'acquire', 'jobs', { session: 's1' }, { acquired: true, token: 5 }),
  rec('b', [2, 3], 'acquire', 'jobs', { session: 's2' }, { acquired: true, token: 7 }),
]);
const handedOver = jsonl([
  rec('a', [0, 1], 'acquire', 'jobs', { session: 's1' }, { acquired: true, token: 5 }),
  rec('a', [2, 3], 'release', 'jobs', { session: 's1', token: 5 }, { released: true }),
  rec('b', [1, 4], 'acquire', 'jobs', { session: 's2' }, { acquired: true, token: 7 }),
]);

describe('check-history', () => {
  it('linearizable: first word, exit 0', () => {
    const r = run(['--model', 'lock', 'h.jsonl'], { 'h.jsonl': handedOver });
    expect(r.code).toBe(EXIT.linearizable);
    expect(r.stdout.split(/\s/)[0]).toBe('linearizable');
  });

  it('illegal: first word, the failing window, exit 1', () => {
    const r = run(['--model', 'lock', 'h.jsonl'], { 'h.jsonl': overlapping });
    expect(r.code).toBe(EXIT.illegal);
    expect(r.stdout.split(/\s/)[0]).toBe('illegal');
    expect(r.stdout).toContain('partition "jobs"');
    expect(r.stdout).toContain('acquire(s2) -> token 7');
    expect(r.stdout).toContain('holders [s1:5]');
  });

  it('unknown when the budget is spent: exit 2, never a pass', async () => {
    const { readFileSync } = await import('node:fs');
    const file = `${CORPUS_DIR}jepsen-etcd-register/etcd_002.log`;
    const r = run(['--model', 'register', file, '--budget-ms', '1'], { [file]: readFileSync(file, 'utf8') });
    expect(r.code).toBe(EXIT.unknown);
    expect(r.stdout.split(/\s/)[0]).toBe('unknown');
  });

  it('bad arguments: usage on stderr, exit 64', () => {
    for (const argv of [
      [],
      ['--model', 'queue', 'f'],
      ['--model', 'kv'],
      ['--model', 'kv', 'a', 'b'],
      ['--model', 'kv', 'f', '--budget-ms', 'x'],
      ['--nope'],
    ]) {
      const r = run(argv);
      expect(r.code, argv.join(' ')).toBe(EXIT.usage);
      expect(r.stderr).toContain('usage: check-history');
      expect(r.stdout).toBe('');
    }
  });

  it('a malformed history exits 65, an unreadable file 66', () => {
    expect(run(['--model', 'kv', 'k.txt'], { 'k.txt': 'garbage\n' }).code).toBe(EXIT.malformedHistory);
    expect(run(['--model', 'kv', 'missing.txt']).code).toBe(EXIT.unreadableFile);
  });
});
