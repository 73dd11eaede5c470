/** Where the linearizability corpus lives (../shared/testdata from the repository root) and what it expects. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = fileURLToPath(new URL('../../../../shared/testdata/linearizability/', import.meta.url));

export type CorpusAnswer = 'linearizable' | 'illegal';

export function readExpected(dir = CORPUS_DIR): Record<string, CorpusAnswer> {
  return JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as Record<string, CorpusAnswer>;
}
