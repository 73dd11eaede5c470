/** The three history kinds the CLI knows: a model and the parser of its file format. */
import { checkOperations } from './check.js';
import { kvModel } from './models/kv.js';
import { lockModel } from './models/lock.js';
import { registerModel } from './models/register.js';
import { parseBatonJsonl } from './parse/baton-jsonl.js';
import { parseJepsenKv } from './parse/jepsen-kv.js';
import { parseJepsenRegister } from './parse/jepsen-register.js';
import { formatFailure, summarize } from './report.js';
import type { CheckOptions, CheckOutcome, Model, Operation } from './types.js';

export const MODEL_NAMES = ['register', 'kv', 'lock'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface CheckedHistory {
  result: CheckOutcome;
  /** First line: the verdict word, then counts and time. */
  summary: string;
  /** For an illegal history: each failing window found (the first partition's at least). */
  failures: string[];
}

function checkText<S, I, O>(
  model: Model<S, I, O>,
  parse: (text: string) => Operation<I, O>[],
  text: string,
  options: CheckOptions,
): CheckedHistory {
  const operations = parse(text);
  const checked = checkOperations(model, operations, options);
  return {
    result: checked.result,
    summary: summarize(checked, operations.length),
    failures: checked.failures.map((f) => formatFailure(model, f)),
  };
}

/** Parses `text` as the named kind of history and checks it (parse errors throw HistoryParseError). */
export function checkHistoryText(name: ModelName, text: string, options: CheckOptions = {}): CheckedHistory {
  switch (name) {
    case 'register':
      return checkText(registerModel, parseJepsenRegister, text, options);
    case 'kv':
      return checkText(kvModel, parseJepsenKv, text, options);
    case 'lock':
      return checkText(lockModel, parseBatonJsonl, text, options);
  }
}
