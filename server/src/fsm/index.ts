/**
 * Baton's coordination state machine: pure and deterministic (no I/O, timers, clock or
 * randomness). See README.md in this folder for the semantics and the choices made.
 */

export { decodeEnvelope, encodeEnvelope } from './envelope.js';
export { FsmApplyOrderError, FsmDecodeError, FsmSnapshotError } from './errors.js';
export { CoordinationFsm, checkFsmInvariants } from './fsm.js';
export { FsmHistoryChecker } from './history.js';
export { runSteps } from './snapshot.js';
export type {
  AcquireValue,
  Actor,
  ApplyOutput,
  CampaignValue,
  CancelWaitValue,
  CloseSessionValue,
  Command,
  CommandError,
  CommandResult,
  CommandResultOf,
  CommandValue,
  CommandValues,
  Describe,
  DescribeHolder,
  DescribeWaiter,
  EndLockDelayValue,
  Envelope,
  ExpireSessionValue,
  FsmEvent,
  FsmStats,
  HoldMetadata,
  LeaderInfo,
  NameKind,
  Op,
  OpenSessionValue,
  PendingLockDelay,
  ProclaimValue,
  ReleaseValue,
  ResignValue,
} from './types.js';
export { LEADER_OPS } from './types.js';
