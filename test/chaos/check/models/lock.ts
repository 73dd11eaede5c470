/**
 * Baton's lock/semaphore/election service as one linearizable object per name (DESIGN §4), plus
 * the fenced downstream register that name guards. The rules it checks:
 * - at most `limit` holders at once, one hold per session; a try answers "not acquired" only
 *   when the name is full;
 * - a grant's token is greater than every earlier token of the name (tokens never go backwards
 *   or repeat);
 * - release/resign/proclaim succeed only with the session's current token; NOT_HOLDER only
 *   without it;
 * - fenceCheck, describe and leader read the current holders (and fenceCheck the newest token);
 * - the store accepts a write iff its token is ≥ the newest it accepted, and reads the last one.
 *
 * An answer that never came (output undefined) is applied as "took effect" when linearized;
 * "never took effect" is the same operation linearized after everything (return time ∞).
 * A grant whose token was lost becomes a holder with a token known only from below.
 *
 * Not modelled (so never flagged): waiters' FIFO order, lock-delay (a workload must not use
 * lockDelayMs with this model), a session's death across names beyond the recorded
 * expire/close operations, and a waiting acquire that was granted and revoked by its own cancel
 * before it answered TIMEOUT/CANCELLED (that hold is invisible here).
 */
import { ILLEGAL, type Illegal, type Model, type Operation, type Partition } from '../types.js';
import {
  describeLockState,
  hasRoom,
  holderIndex,
  INITIAL_LOCK_STATE,
  type LockState,
  lockStateKey,
  tokenMatches,
  withHolder,
  withoutHolder,
} from './lock-state.js';
import type { LockInput, LockOutput } from './lock-types.js';

type In<F extends LockInput['f']> = Extract<LockInput, { f: F }>;

/**
 * How a wait ends when the client gives up: the SDK's cancel may find the wait already granted
 * and revoke that hold (server/src/fsm cancelWait), so a token was used that nobody saw.
 */
const WAIT_END_CODES: ReadonlySet<string> = new Set(['TIMEOUT', 'CANCELLED']);

export const lockModel: Model<LockState, LockInput, LockOutput> = {
  name: 'lock',
  init: () => INITIAL_LOCK_STATE,
  step(state, input, output) {
    switch (input.f) {
      case 'acquire':
        return acquire(state, input.session, input.limit, input.wait, null, output);
      case 'campaign':
        return acquire(state, input.session, 1, true, input.value, output);
      case 'release':
        return release(state, input.session, input.token, output);
      case 'resign':
        return release(state, input.session, input.term, output);
      case 'proclaim':
        return proclaim(state, input, output);
      case 'fenceCheck':
        return fenceCheck(state, input.token, output);
      case 'describe':
        return describe(state, output);
      case 'leader':
        return leader(state, output);
      case 'expire':
      case 'close':
        // an error answer (say UNAVAILABLE) means it did not happen
        return output?.kind === 'error' ? state : withoutHolder(state, input.session);
      case 'write':
        return write(state, input.token, input.value, output);
      case 'read':
        return output === undefined || (output.kind === 'read' && output.value === state.storeValue) ? state : ILLEGAL;
    }
  },
  key: lockStateKey,
  partition: partitionByName,
  describeOperation,
  describeState: describeLockState,
};

function acquire(
  state: LockState,
  session: string,
  limit: number,
  wait: boolean,
  value: string | null,
  output: LockOutput | undefined,
): LockState | Illegal {
  const i = holderIndex(state, session);
  const held = i >= 0 ? state.holders[i]! : undefined;
  if (output === undefined) {
    // a repeated acquire by a holder changes nothing; otherwise granted if there is room
    if (held !== undefined || !hasRoom(state, limit)) return state;
    return {
      ...withHolder(state, { session, token: state.newestToken, tokenKnown: false, value }, limit),
      newestKnown: false,
    };
  }
  switch (output.kind) {
    case 'error':
      return wait && state.newestKnown && WAIT_END_CODES.has(output.code) ? { ...state, newestKnown: false } : state;
    case 'notAcquired':
      return held === undefined && state.holders.length > 0 && state.holders.length >= state.limit ? state : ILLEGAL;
    case 'granted': {
      const token = output.token;
      if (held !== undefined) {
        // the session already holds: the server answers that hold again
        if (!tokenMatches(held, token)) return ILLEGAL;
        if (held.tokenKnown) return state;
        return {
          ...withHolder(state, { ...held, token, tokenKnown: true }, state.limit),
          newestToken: Math.max(state.newestToken, token),
        };
      }
      if (!hasRoom(state, limit) || token <= state.newestToken) return ILLEGAL;
      return {
        ...withHolder(state, { session, token, tokenKnown: true, value }, limit),
        newestToken: token,
        newestKnown: true,
      };
    }
    default:
      return ILLEGAL;
  }
}

function release(
  state: LockState,
  session: string,
  token: number,
  output: LockOutput | undefined,
): LockState | Illegal {
  const i = holderIndex(state, session);
  const held = i >= 0 ? state.holders[i]! : undefined;
  const matches = held !== undefined && tokenMatches(held, token);
  if (output === undefined) return matches ? withoutHolder(state, session) : state;
  if (output.kind === 'done') return matches ? withoutHolder(state, session) : ILLEGAL;
  if (output.kind === 'error') {
    // NOT_HOLDER is wrong only when the session certainly holds this very token
    const certainlyHolds = held?.tokenKnown === true && held.token === token;
    return output.code === 'NOT_HOLDER' && certainlyHolds ? ILLEGAL : state;
  }
  return ILLEGAL;
}

function proclaim(state: LockState, input: In<'proclaim'>, output: LockOutput | undefined): LockState | Illegal {
  const i = holderIndex(state, input.session);
  const held = i >= 0 ? state.holders[i]! : undefined;
  const matches = held !== undefined && tokenMatches(held, input.term);
  const proclaimed = matches ? withHolder(state, { ...held, value: input.value }, state.limit) : state;
  if (output === undefined) return proclaimed;
  if (output.kind === 'done') return matches ? proclaimed : ILLEGAL;
  if (output.kind === 'error') {
    const certainlyLeads = held?.tokenKnown === true && held.token === input.term;
    return output.code === 'NOT_HOLDER' && certainlyLeads ? ILLEGAL : state;
  }
  return ILLEGAL;
}

function fenceCheck(state: LockState, token: number, output: LockOutput | undefined): LockState | Illegal {
  if (output === undefined) return state;
  if (output.kind === 'error') return state;
  if (output.kind !== 'fence') return ILLEGAL;
  if (
    output.current
      ? !state.holders.some((h) => tokenMatches(h, token))
      : state.holders.some((h) => h.tokenKnown && h.token === token)
  ) {
    return ILLEGAL;
  }
  const newest = output.newestToken;
  if (newest === undefined) return state;
  if (newest === null) return state.newestToken === 0 && state.newestKnown ? state : ILLEGAL;
  // not known exactly: a grant nobody saw may have come after the newest one seen (or not)
  return (state.newestKnown ? newest === state.newestToken : newest >= state.newestToken) ? state : ILLEGAL;
}

function describe(state: LockState, output: LockOutput | undefined): LockState | Illegal {
  if (output === undefined || output.kind === 'error') return state;
  if (output.kind !== 'holders' || output.holders.length !== state.holders.length) return ILLEGAL;
  for (const seen of output.holders) {
    const i = holderIndex(state, seen.session);
    if (i < 0 || !tokenMatches(state.holders[i]!, seen.token)) return ILLEGAL;
  }
  return state;
}

function leader(state: LockState, output: LockOutput | undefined): LockState | Illegal {
  if (output === undefined || output.kind === 'error') return state;
  if (output.kind !== 'leader') return ILLEGAL;
  const seen = output.leader;
  if (seen === null) return state.holders.length === 0 ? state : ILLEGAL;
  const held = state.holders.length === 1 ? state.holders[0]! : undefined;
  return held !== undefined &&
    held.session === seen.session &&
    held.value === seen.value &&
    tokenMatches(held, seen.term)
    ? state
    : ILLEGAL;
}

function write(state: LockState, token: number, value: string, output: LockOutput | undefined): LockState | Illegal {
  const accepts = token >= state.storeToken;
  const written = accepts ? { ...state, storeToken: token, storeValue: value } : state;
  if (output === undefined) return written;
  if (output.kind !== 'write' || output.accepted !== accepts) return ILLEGAL;
  return written;
}

/**
 * One partition per name. A session's end (expire/close) frees every name it held, so it is
 * copied into every partition: each name then sees it at some point inside its window, which is
 * weaker than one atomic moment for all names, but never flags a good history.
 */
function partitionByName(history: readonly Operation<LockInput, LockOutput>[]): Partition<LockInput, LockOutput>[] {
  const byName = new Map<string, Operation<LockInput, LockOutput>[]>();
  for (const op of history) {
    if (op.input.name !== null && !byName.has(op.input.name)) byName.set(op.input.name, []);
  }
  for (const op of history) {
    if (op.input.name !== null) byName.get(op.input.name)!.push(op);
    else for (const ops of byName.values()) ops.push(op);
  }
  return [...byName].map(([key, operations]) => ({ key, operations }));
}

function describeOperation(input: LockInput, output: LockOutput | undefined): string {
  const call = describeCall(input);
  return `${call} -> ${output === undefined ? '?' : describeOutput(output)}`;
}

function describeCall(input: LockInput): string {
  switch (input.f) {
    case 'acquire':
      return `${input.wait ? 'acquire' : 'tryAcquire'}(${input.session}${input.limit === 1 ? '' : `, limit ${input.limit}`})`;
    case 'campaign':
      return `campaign(${input.session}, ${JSON.stringify(input.value)})`;
    case 'release':
      return `release(${input.session}, ${input.token})`;
    case 'resign':
      return `resign(${input.session}, ${input.term})`;
    case 'proclaim':
      return `proclaim(${input.session}, ${input.term}, ${JSON.stringify(input.value)})`;
    case 'fenceCheck':
      return `fenceCheck(${input.token})`;
    case 'describe':
    case 'leader':
    case 'read':
      return `${input.f}()`;
    case 'expire':
    case 'close':
      return `${input.f}(${input.session})`;
    case 'write':
      return `write(${input.token}, ${JSON.stringify(input.value)})`;
  }
}

function describeOutput(output: LockOutput): string {
  switch (output.kind) {
    case 'error':
      return output.code;
    case 'granted':
      return `token ${output.token}`;
    case 'notAcquired':
      return 'not acquired';
    case 'done':
      return 'ok';
    case 'fence':
      return `${output.current ? 'current' : 'not current'}${output.newestToken === undefined ? '' : `, newest ${output.newestToken}`}`;
    case 'holders':
      return `[${output.holders.map((h) => `${h.session}:${h.token}`).join(', ')}]`;
    case 'leader':
      return output.leader === null
        ? 'no leader'
        : `${output.leader.session} term ${output.leader.term} ${JSON.stringify(output.leader.value)}`;
    case 'write':
      return output.accepted ? 'accepted' : 'rejected';
    case 'read':
      return JSON.stringify(output.value);
  }
}
