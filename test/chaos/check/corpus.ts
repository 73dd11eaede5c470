/** Where the linearizability corpus lives (test/chaos/check/corpus/) and what it expects. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The corpus (copied from Porcupine's test data, MIT: corpus/LICENSE-porcupine.md) lives in the repository, so a clean checkout checks it. */
export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

export type CorpusAnswer = 'linearizable' | 'illegal';

export function readExpected(dir = CORPUS_DIR): Record<string, CorpusAnswer> {
  return JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as Record<string, CorpusAnswer>;
}
