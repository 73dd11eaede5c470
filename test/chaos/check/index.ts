/** Baton's history checker: Porcupine's linearizability search, its models and history parsers. */
export { checkOperations, DEFAULT_BUDGET_MS, DEFAULT_MAX_MEMO_BYTES, partitionBy } from './check.js';
export { EXIT, runCheckHistory, USAGE } from './cli-main.js';
export { HistoryOrderError } from './event-list.js';
export { type CheckedHistory, checkHistoryText, MODEL_NAMES, type ModelName } from './history-kinds.js';
export { type KvInput, type KvOutput, kvModel } from './models/kv.js';
export { lockModel } from './models/lock.js';
export type { LockHolder, LockState } from './models/lock-state.js';
export type { HolderView, LeaderView, LockInput, LockOutput } from './models/lock-types.js';
export { type RegisterInput, type RegisterOutput, type RegisterValue, registerModel } from './models/register.js';
export { type LockOperation, parseBatonJsonl, parseRecord } from './parse/baton-jsonl.js';
export { HistoryParseError } from './parse/errors.js';
export { parseJepsenKv } from './parse/jepsen-kv.js';
export { parseJepsenRegister } from './parse/jepsen-register.js';
export { formatFailure, formatOperation, summarize } from './report.js';
export {
  type Budget,
  type CheckOptions,
  type CheckOutcome,
  type CheckResult,
  type FailureWindow,
  ILLEGAL,
  type Illegal,
  type Model,
  type Operation,
  type OperationMeta,
  type Partition,
  type PartitionReport,
} from './types.js';
