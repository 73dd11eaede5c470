/** The Redis fence on ioredis-mock (which runs the Lua script): stale refused, equal and newer accepted. */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRedisFence, type RedisEvalClient } from './redis-fence.js';

// the real client fits the helper's one-method interface (checked by the compiler)
export const acceptsIoredis = (client: Redis): RedisEvalClient => client;

const redis = new RedisMock();

beforeEach(async () => {
  await redis.flushall();
});

describe('createRedisFence', () => {
  it('refuses a stale token, accepts a newer one and the same one again', async () => {
    const fence = createRedisFence(redis, { keyPrefix: 'f:' });
    expect(await fence.fencedSet('jobs/report', 10, 'report', 'by 10')).toEqual({ accepted: true, highestToken: 10 });
    expect(await fence.fencedSet('jobs/report', 10, 'report', 'by 10 again')).toEqual({
      accepted: true,
      highestToken: 10,
    });
    expect(await fence.fencedSet('jobs/report', 25, 'report', 'by 25')).toEqual({ accepted: true, highestToken: 25 });
    expect(await fence.fencedSet('jobs/report', 10, 'report', 'late write by 10')).toEqual({
      accepted: false,
      highestToken: 25,
    });
    expect(await redis.get('report')).toBe('by 25');
    expect(await redis.get('f:jobs/report')).toBe('25');
    expect(await fence.highestToken('jobs/report')).toBe(25);
  });

  it('keeps locks apart and writes several keys all or none', async () => {
    const fence = createRedisFence(redis);
    await fence.advance('a', 50);
    expect(
      await fence.fencedWrite('b', 3, [
        ['x', '1'],
        ['y', '2'],
      ]),
    ).toEqual({ accepted: true, highestToken: 3 });
    expect(
      await fence.fencedWrite('a', 49, [
        ['x', 'no'],
        ['y', 'no'],
      ]),
    ).toEqual({ accepted: false, highestToken: 50 });
    expect([await redis.get('x'), await redis.get('y')]).toEqual(['1', '2']);
    expect(fence.fenceKey('a')).toBe('baton:fence:a');
    expect(await fence.highestToken('never')).toBe(0);
  });

  it('refuses bad arguments before talking to Redis', async () => {
    const fence = createRedisFence(redis);
    await expect(fence.fencedSet('a', 0, 'k', 'v')).rejects.toThrow(TypeError);
    await expect(fence.fencedSet('a', 1.5, 'k', 'v')).rejects.toThrow(TypeError);
    await expect(fence.fencedSet('', 1, 'k', 'v')).rejects.toThrow(TypeError);
  });

  it('whatever the order of writes, the stored value is the one of the highest token written last', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 20 }), async (tokens) => {
        await redis.flushall();
        const fence = createRedisFence(redis);
        let highest = 0;
        let expected: string | null = null;
        for (const [i, token] of tokens.entries()) {
          const value = `${token}#${i}`;
          const result = await fence.fencedSet('l', token, 'k', value);
          expect(result.accepted).toBe(token >= highest);
          if (token >= highest) {
            highest = token;
            expected = value;
          }
          expect(result.highestToken).toBe(highest);
        }
        expect(await redis.get('k')).toBe(expected);
      }),
      { seed: 42, numRuns: 30 },
    );
  });
});
