/**
 * The lock model's state for one name: its holders, the newest token it granted, and the fenced
 * downstream register it guards. Immutable (the search keeps old states on its stack); holders
 * are kept sorted by session so that the canonical key is the same for equal states.
 */

export interface LockHolder {
  readonly session: string;
  /**
   * The fencing token (an election's term). When `tokenKnown` is false the grant's answer was
   * lost and this is only a lower bound: the real token is greater.
   */
  readonly token: number;
  readonly tokenKnown: boolean;
  /** An election leader's value; null for locks and semaphores. */
  readonly value: string | null;
}

export interface LockState {
  /** Holders allowed at once; 0 while nobody holds (an idle name takes the next request's limit). */
  readonly limit: number;
  readonly holders: readonly LockHolder[];
  /**
   * The newest token granted on this name (0: never). When `newestKnown` is false a grant nobody
   * saw may have happened since, so this is only a lower bound.
   */
  readonly newestToken: number;
  readonly newestKnown: boolean;
  /** The fenced register: the newest token it accepted (0: none) and the value written with it. */
  readonly storeToken: number;
  readonly storeValue: string | null;
}

export const INITIAL_LOCK_STATE: LockState = {
  limit: 0,
  holders: [],
  newestToken: 0,
  newestKnown: true,
  storeToken: 0,
  storeValue: null,
};

/** Could `token` be this holder's token? */
export function tokenMatches(holder: LockHolder, token: number): boolean {
  return holder.tokenKnown ? holder.token === token : token > holder.token;
}

export function holderIndex(state: LockState, session: string): number {
  return state.holders.findIndex((h) => h.session === session);
}

/** Whether a new holder with this limit fits: an idle name takes any limit, a busy one only its own. */
export function hasRoom(state: LockState, limit: number): boolean {
  return state.holders.length === 0 || (state.limit === limit && state.holders.length < limit);
}

export function withHolder(state: LockState, holder: LockHolder, limit: number): LockState {
  const holders = [...state.holders.filter((h) => h.session !== holder.session), holder];
  holders.sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : 0));
  return { ...state, holders, limit };
}

export function withoutHolder(state: LockState, session: string): LockState {
  const holders = state.holders.filter((h) => h.session !== session);
  if (holders.length === state.holders.length) return state;
  return { ...state, holders, limit: holders.length === 0 ? 0 : state.limit };
}

export function lockStateKey(state: LockState): string {
  let key = `${state.limit}|${state.newestToken}${state.newestKnown ? '' : '+'}|`;
  for (const h of state.holders) {
    key += `${JSON.stringify(h.session)}${h.tokenKnown ? '=' : '>'}${h.token}`;
    key += h.value === null ? ',' : `~${JSON.stringify(h.value)},`;
  }
  return `${key}|${state.storeToken}|${state.storeValue === null ? '' : JSON.stringify(state.storeValue)}`;
}

export function describeLockState(state: LockState): string {
  const holders = state.holders
    .map(
      (h) =>
        `${h.session}:${h.tokenKnown ? '' : '>'}${h.token}${h.value === null ? '' : `=${JSON.stringify(h.value)}`}`,
    )
    .join(', ');
  const newest =
    state.newestToken === 0 && state.newestKnown ? 'none' : `${state.newestKnown ? '' : '>'}${state.newestToken}`;
  const store =
    state.storeToken === 0 ? 'empty' : `token ${state.storeToken} value ${JSON.stringify(state.storeValue)}`;
  return `holders [${holders}]${state.limit > 1 ? ` of ${state.limit}` : ''}, newest token ${newest}, store ${store}`;
}
