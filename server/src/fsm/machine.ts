/** The state the command handlers work on, and what one apply() hands them. */
import type { DedupTable } from './dedup.js';
import type { NameTable } from './name-table.js';
import type { SessionState } from './state.js';
import type { Actor, CommandError, CommandValues, FsmEvent, Op } from './types.js';

export interface Machine {
  /** By id; ids are entry indexes, so insertion order is id order. */
  readonly sessions: Map<number, SessionState>;
  readonly names: NameTable;
  readonly dedup: DedupTable;
}

/** One entry being applied. */
export interface ApplyContext {
  readonly m: Machine;
  /** The entry's log index: the token of every grant it makes. */
  readonly index: number;
  /** The proposer's wall clock: recorded for describe, never decides anything. */
  readonly atMs: number;
  /** Who proposed it (auth on); undefined: nothing to bind or check. */
  readonly actor: Actor | undefined;
  readonly events: FsmEvent[];
}

export type Outcome<O extends Op> = { readonly ok: true; readonly value: CommandValues[O] } | CommandError;

export function ok<O extends Op>(value: CommandValues[O]): Outcome<O> {
  return { ok: true, value };
}

export function invalid(message: string): CommandError {
  return { ok: false, code: 'INVALID_ARGUMENT', message };
}

export function sessionExpired(sessionId: number): CommandError {
  return {
    ok: false,
    code: 'SESSION_EXPIRED',
    message: `session ${sessionId} is not open (expired, closed or unknown)`,
  };
}

export function notHolder(message: string): CommandError {
  return { ok: false, code: 'NOT_HOLDER', message };
}

export function exhausted(message: string): CommandError {
  return { ok: false, code: 'RESOURCE_EXHAUSTED', message };
}

export function permissionDenied(sessionId: number): CommandError {
  return {
    ok: false,
    code: 'PERMISSION_DENIED',
    message: `session ${sessionId} belongs to another token`,
  };
}
