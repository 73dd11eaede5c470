/**
 * The state machine's thrown errors. Operating errors (bad arguments, unknown sessions, limits)
 * are never thrown: apply() returns them as results. These are for bytes that are not what they
 * claim to be, and for a driver that breaks the apply contract.
 */

/** Bytes that are not a well-formed Envelope. apply() turns it into an INVALID_ARGUMENT result. */
export class FsmDecodeError extends Error {
  readonly code = 'FSM_DECODE';
  constructor(readonly reason: string) {
    super(`not a valid state machine entry: ${reason}`);
    this.name = 'FsmDecodeError';
  }
}

/** Bytes that are not a valid snapshot of this state machine: the node must not load them. */
export class FsmSnapshotError extends Error {
  readonly code = 'FSM_SNAPSHOT_INVALID';
  constructor(readonly reason: string) {
    super(`not a valid state machine snapshot: ${reason}`);
    this.name = 'FsmSnapshotError';
  }
}

/** The driver applied an index that is not after the last one: a bug, the node must stop. */
export class FsmApplyOrderError extends Error {
  readonly code = 'FSM_APPLY_ORDER';
  constructor(
    readonly index: number,
    readonly appliedIndex: number,
  ) {
    super(`entry ${index} applied after ${appliedIndex}: entries must be applied once, in increasing index order`);
    this.name = 'FsmApplyOrderError';
  }
}
