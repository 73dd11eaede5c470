/**
 * check-history --model <register|kv|lock> <file> [--budget-ms N] [--all-partitions]
 *
 * The first word on stdout is the verdict; the exit code says the same:
 *   0 linearizable, 1 illegal (the failing window follows), 2 unknown (search budget spent —
 *   never a pass), 64 usage error, 65 malformed history, 66 unreadable file.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_BUDGET_MS } from './check.js';
import { HistoryOrderError } from './event-list.js';
import { checkHistoryText, MODEL_NAMES, type ModelName } from './history-kinds.js';
import { HistoryParseError } from './parse/errors.js';
import type { CheckOutcome } from './types.js';

export const EXIT = {
  linearizable: 0,
  illegal: 1,
  unknown: 2,
  /** sysexits.h EX_USAGE: 2 is taken by "unknown". */
  usage: 64,
  /** EX_DATAERR */
  malformedHistory: 65,
  /** EX_NOINPUT */
  unreadableFile: 66,
} as const;

const EXIT_BY_OUTCOME: Record<CheckOutcome, number> = {
  ok: EXIT.linearizable,
  illegal: EXIT.illegal,
  unknown: EXIT.unknown,
};

export const USAGE = `usage: check-history --model <${MODEL_NAMES.join('|')}> <file> [--budget-ms N] [--all-partitions]
  register  Jepsen etcd register log (read/write/cas)
  kv        Jepsen key-value EDN lines (get/put/append), checked per key
  lock      Baton JSON-lines history (see test/chaos/check/README.md), checked per name
prints linearizable | illegal (with the failing window) | unknown as its first word;
exit 0 | 1 | 2 respectively, 64 bad arguments, 65 malformed history, 66 unreadable file
default budget: ${DEFAULT_BUDGET_MS} ms`;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): string;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  readFile: (path) => readFileSync(path, 'utf8'),
};

export function runCheckHistory(argv: readonly string[], io: CliIo = processIo): number {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(argv);
  } catch (error) {
    io.stderr(`check-history: ${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  let text: string;
  try {
    text = io.readFile(parsed.file);
  } catch (error) {
    io.stderr(`check-history: cannot read ${parsed.file}: ${(error as Error).message}`);
    return EXIT.unreadableFile;
  }
  try {
    const checked = checkHistoryText(parsed.model, text, {
      budget: { maxMs: parsed.budgetMs },
      checkAllPartitions: parsed.allPartitions,
    });
    io.stdout(checked.summary);
    for (const failure of checked.failures) io.stdout(failure);
    return EXIT_BY_OUTCOME[checked.result];
  } catch (error) {
    if (error instanceof HistoryParseError || error instanceof HistoryOrderError) {
      io.stderr(`check-history: ${parsed.file}: ${(error as Error).message}`);
      return EXIT.malformedHistory;
    }
    throw error;
  }
}

function parseCliArgs(argv: readonly string[]): {
  model: ModelName;
  file: string;
  budgetMs: number;
  allPartitions: boolean;
} {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      model: { type: 'string' },
      'budget-ms': { type: 'string' },
      'all-partitions': { type: 'boolean', default: false },
    },
  });
  const model = values.model;
  if (model === undefined || !(MODEL_NAMES as readonly string[]).includes(model)) {
    throw new Error(`--model must be one of ${MODEL_NAMES.join(', ')}${model === undefined ? '' : `, got ${model}`}`);
  }
  if (positionals.length !== 1) throw new Error(`expected one history file, got ${positionals.length}`);
  const budgetText = values['budget-ms'];
  const budgetMs = budgetText === undefined ? DEFAULT_BUDGET_MS : Number(budgetText);
  if (!Number.isInteger(budgetMs) || budgetMs <= 0)
    throw new Error(`--budget-ms must be a positive integer, got ${budgetText}`);
  return { model: model as ModelName, file: positionals[0]!, budgetMs, allPartitions: values['all-partitions'] };
}
