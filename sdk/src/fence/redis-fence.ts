/**
 * Fencing in Redis: a write is accepted only if its token is ≥ the highest token recorded for
 * that lock, and the token is recorded in the same atomic step (one Lua script). An ex-holder
 * that was paused or cut off, and whose lock was since granted to someone else, carries an older
 * token: its late write is refused instead of clobbering the new holder's work.
 *
 * Equal tokens are accepted: the same holder writes many times under one grant.
 *
 * Works with any client that has ioredis' `eval(script, numKeys, ...keysAndArgs)`: ioredis,
 * ioredis-mock. With Redis Cluster all keys of one call must share a hash slot: give the prefix
 * and the data keys the same hash tag (`{orders}:fence:`, `{orders}:report`).
 */

/** The one method the helper needs (ioredis and ioredis-mock have it). */
export interface RedisEvalClient {
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
}

export interface RedisFenceOptions {
  /** Prefix of the key that records each lock's highest token. Default `baton:fence:`. */
  readonly keyPrefix?: string;
}

export interface FenceResult {
  /** Whether the write was applied (its token was ≥ the highest recorded). */
  readonly accepted: boolean;
  /** The highest token recorded for the lock after this call. */
  readonly highestToken: number;
}

export interface RedisFence {
  /** SET `key` to `value` if `token` is current for `lockName`. */
  fencedSet(lockName: string, token: number, key: string, value: string): Promise<FenceResult>;
  /** SET every `[key, value]` pair, all or none, if `token` is current for `lockName`. */
  fencedWrite(
    lockName: string,
    token: number,
    writes: ReadonlyArray<readonly [key: string, value: string]>,
  ): Promise<FenceResult>;
  /** Records `token` without writing (a new holder fences older ones out before its first write). */
  advance(lockName: string, token: number): Promise<FenceResult>;
  /** The highest token recorded for `lockName` (0 if none). */
  highestToken(lockName: string): Promise<number>;
  /** The Redis key that holds `lockName`'s highest token. */
  fenceKey(lockName: string): string;
}

export const DEFAULT_FENCE_KEY_PREFIX = 'baton:fence:';
/** Keys written by one fenced call: a Lua script's arguments live on Redis' stack. */
export const MAX_FENCED_WRITES = 1_000;

/**
 * KEYS[1]: the lock's fence key; KEYS[2..n]: keys to write. ARGV[1]: the token; ARGV[i]: the value
 * for KEYS[i]. Returns {1|0, highest token as a string} (strings: Lua numbers are doubles).
 */
export const FENCED_WRITE_SCRIPT = `
local token = tonumber(ARGV[1])
local highest = tonumber(redis.call('GET', KEYS[1]) or '0')
if token < highest then
  return {0, tostring(redis.call('GET', KEYS[1]))}
end
if token > highest then
  redis.call('SET', KEYS[1], ARGV[1])
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i])
end
return {1, ARGV[1]}
`;

const HIGHEST_SCRIPT = `return redis.call('GET', KEYS[1]) or '0'`;

export function createRedisFence(redis: RedisEvalClient, options: RedisFenceOptions = {}): RedisFence {
  const keyPrefix = options.keyPrefix ?? DEFAULT_FENCE_KEY_PREFIX;
  if (typeof keyPrefix !== 'string') throw new TypeError('keyPrefix must be a string');
  const fenceKey = (lockName: string): string => {
    if (typeof lockName !== 'string' || lockName.length === 0)
      throw new TypeError('lockName must be a non-empty string');
    return `${keyPrefix}${lockName}`;
  };

  const fencedWrite = async (
    lockName: string,
    token: number,
    writes: ReadonlyArray<readonly [string, string]>,
  ): Promise<FenceResult> => {
    if (!Number.isSafeInteger(token) || token <= 0) throw new TypeError('token must be a positive safe integer');
    if (writes.length > MAX_FENCED_WRITES) throw new RangeError(`at most ${MAX_FENCED_WRITES} writes per call`);
    const keys = [fenceKey(lockName)];
    const args: string[] = [String(token)];
    for (const [key, value] of writes) {
      if (typeof key !== 'string' || key.length === 0) throw new TypeError('keys must be non-empty strings');
      if (typeof value !== 'string') throw new TypeError('values must be strings');
      keys.push(key);
      args.push(value);
    }
    const reply = await redis.eval(FENCED_WRITE_SCRIPT, keys.length, ...keys, ...args);
    return parseReply(reply);
  };

  return {
    fencedSet: (lockName, token, key, value) => fencedWrite(lockName, token, [[key, value]]),
    fencedWrite,
    advance: (lockName, token) => fencedWrite(lockName, token, []),
    highestToken: async (lockName) => Number(await redis.eval(HIGHEST_SCRIPT, 1, fenceKey(lockName))),
    fenceKey,
  };
}

function parseReply(reply: unknown): FenceResult {
  if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`unexpected fence script reply: ${String(reply)}`);
  return { accepted: Number(reply[0]) === 1, highestToken: Number(reply[1]) };
}
