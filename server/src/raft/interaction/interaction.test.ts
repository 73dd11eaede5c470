/**
 * Golden interaction tests (etcd-io/raft's datadriven `testdata/*.txt` style): each script in
 * ../testdata is a sequence of commands, each followed by `----` and the output it must produce.
 * Blocks are separated by blank lines; `#` lines before a command are comments.
 *
 *   cd server && npx vitest run src/raft/interaction                          # check
 *   cd server && BATON_REWRITE=1 npx vitest run src/raft/interaction          # accept new output
 *   cd server && BATON_REWRITE=1 npx vitest run src/raft/interaction -t snap  # ...of some files
 *
 * Rewritten files are reviewed as diffs: a golden file is only worth what its reader verified.
 *
 * A script whose header has a `# known-bug:` line documents a core bug: its expected output is
 * the correct behaviour, written by hand, so it fails until the core is fixed. BATON_REWRITE=1
 * skips such files (it would bless the bug); remove the line once the fix lands.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InteractionEnv, parseCommand } from './env.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', 'testdata');
const REWRITE = process.env.BATON_REWRITE === '1';
const SEPARATOR = '----';
const KNOWN_BUG = /^# known-bug:/m;

interface Block {
  /** Comment and blank lines before the command, kept verbatim. */
  readonly prefix: readonly string[];
  readonly command: string;
  /** 1-based line number of the command. */
  readonly line: number;
  readonly expected: string;
}

interface Script {
  readonly blocks: readonly Block[];
  readonly trailer: readonly string[];
}

function parseScript(file: string, text: string): Script {
  const lines = text.replace(/\n$/, '').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  for (;;) {
    const prefix: string[] = [];
    while (i < lines.length && ((lines[i] as string).trim() === '' || (lines[i] as string).startsWith('#'))) {
      prefix.push(lines[i] as string);
      i++;
    }
    if (i >= lines.length) return { blocks, trailer: prefix };
    const command = lines[i] as string;
    const line = i + 1;
    i++;
    if (lines[i] !== SEPARATOR) throw new Error(`${file}:${line}: expected "${SEPARATOR}" after "${command}"`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && (lines[i] as string).trim() !== '') {
      expected.push(lines[i] as string);
      i++;
    }
    blocks.push({ prefix, command, line, expected: expected.join('\n') });
  }
}

function render(script: Script, outputs: readonly string[]): string {
  const out: string[] = [];
  script.blocks.forEach((b, k) => {
    out.push(...b.prefix, b.command, SEPARATOR, outputs[k] ?? '');
  });
  out.push(...script.trailer);
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

const files = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('raft interaction scripts', () => {
  it('finds scripts', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(file, () => {
      const path = join(TESTDATA, file);
      const text = readFileSync(path, 'utf8');
      const script = parseScript(file, text);
      const env = new InteractionEnv();
      const outputs = script.blocks.map((b) => env.handle(parseCommand(b.command)));
      const knownBug = KNOWN_BUG.test(script.blocks[0]?.prefix.join('\n') ?? '');
      if (REWRITE) {
        if (knownBug) {
          console.warn(`BATON_REWRITE: testdata/${file} is marked known-bug; not rewritten`);
          return;
        }
        const rendered = render(script, outputs);
        if (rendered !== text) writeFileSync(path, rendered);
        return;
      }
      const mismatched = script.blocks.flatMap((b, k) => (outputs[k] === b.expected ? [] : [k]));
      const first = mismatched[0];
      if (first === undefined) return;
      const b = script.blocks[first] as Block;
      const more = mismatched.length > 1 ? ` (and ${mismatched.length - 1} later commands)` : '';
      const hint = knownBug
        ? 'this script documents a known core bug (see its header) and fails until the core is fixed'
        : 'if the change is intended, rerun with BATON_REWRITE=1 and review the diff';
      expect(
        outputs[first],
        `testdata/${file}:${b.line}: \`${b.command}\` produced different output${more}; ${hint}`,
      ).toBe(b.expected);
    });
  }
});
