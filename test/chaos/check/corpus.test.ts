/**
 * The checker against answers no one here wrote: Porcupine's test corpus (real Jepsen etcd
 * register histories and key-value histories), every file in expected.json.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, readExpected } from './corpus.js';
import { checkHistoryText } from './history-kinds.js';

const expected = readExpected();
const REGISTER_DIR = 'jepsen-etcd-register/';
const KV_DIR = 'kv/';

describe('the linearizability corpus (test/chaos/check/corpus)', () => {
  it('has every file of both kinds listed', () => {
    const files = Object.keys(expected);
    expect(files.filter((f) => f.startsWith(REGISTER_DIR))).toHaveLength(60);
    expect(files.filter((f) => f.startsWith(KV_DIR))).toHaveLength(4);
  });

  for (const [file, answer] of Object.entries(expected)) {
    it(`${file} is ${answer}`, () => {
      const model = file.startsWith(KV_DIR) ? 'kv' : 'register';
      const text = readFileSync(`${CORPUS_DIR}${file}`, 'utf8');
      const startMs = performance.now();
      const checked = checkHistoryText(model, text);
      // timing is printed for the record, never asserted
      console.log(`${file}: ${checked.summary} (${(performance.now() - startMs).toFixed(1)} ms with parsing)`);
      expect(checked.summary.split(' ')[0]).toBe(answer);
      if (answer === 'illegal') {
        expect(checked.failures.length).toBeGreaterThan(0);
        expect(checked.failures[0]).toContain('returned before it could take effect');
      }
    });
  }
});
