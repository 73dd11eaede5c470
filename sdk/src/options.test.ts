/** Option defaults and validation, endpoint normalization, backoff bounds, error mapping. */
import { LIMITS } from '@baton/proto-schemas';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';
import { normalizeEndpoint } from './endpoints.js';
import { abortReasonToError, BatonError, isBatonError } from './errors.js';
import { resolveClientOptions, resolveSessionOptions } from './options.js';

describe('endpoints', () => {
  it('adds /v1/client, accepts it already there, refuses other schemes and paths', () => {
    expect(normalizeEndpoint('ws://127.0.0.1:7001')).toBe('ws://127.0.0.1:7001/v1/client');
    expect(normalizeEndpoint('wss://baton.example:443/v1/client/')).toBe('wss://baton.example/v1/client');
    for (const bad of ['http://h:1', 'ws://h:1/other', 'ws://h:1/?q=1', 'nope']) {
      expect(() => normalizeEndpoint(bad)).toThrow(BatonError);
    }
  });
});

describe('session options', () => {
  it('defaults to keepalives every ttl/3 and a margin of max(250 ms, ttl/10)', () => {
    expect(resolveSessionOptions({ ttlMs: 10_000 })).toEqual({
      ttlMs: 10_000,
      keepaliveIntervalMs: 3_333,
      safetyMarginMs: 1_000,
      label: undefined,
    });
    expect(resolveSessionOptions({ ttlMs: LIMITS.minTtlMs }).safetyMarginMs).toBe(250);
  });

  it('refuses a TTL out of range and a keepalive interval that does not fit the safe window', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return isBatonError(err) ? [err.code, err.field] : ['?'];
      }
      return ['ok'];
    };
    expect(code(() => resolveSessionOptions({ ttlMs: 500 }))).toEqual(['INVALID_ARGUMENT', 'ttlMs']);
    expect(code(() => resolveSessionOptions({ ttlMs: 2_000, safetyMarginMs: 2_000 }))).toEqual([
      'INVALID_ARGUMENT',
      'safetyMarginMs',
    ]);
    expect(code(() => resolveSessionOptions({ ttlMs: 2_000, keepaliveIntervalMs: 1_800 }))).toEqual([
      'INVALID_ARGUMENT',
      'keepaliveIntervalMs',
    ]);
    expect(code(() => resolveClientOptions({ endpoints: [] }))).toEqual(['INVALID_ARGUMENT', 'endpoints']);
    expect(code(() => resolveClientOptions({ endpoints: ['ws://h:1'], requestTimeoutMs: 0 }))).toEqual([
      'INVALID_ARGUMENT',
      'requestTimeoutMs',
    ]);
    expect(code(() => resolveClientOptions({ endpoints: ['ws://h:1'], session: { ttlMs: 1 } }))).toEqual([
      'INVALID_ARGUMENT',
      'ttlMs',
    ]);
  });
});

describe('backoff', () => {
  it('stays within [step/2, step] and never exceeds maxMs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 0.999_999, noNaN: true }), (n, r) => {
        const policy = { initialMs: 50, maxMs: 2_000 };
        const step = Math.min(2_000, 50 * 2 ** Math.min(n, 30));
        const delay = backoffDelayMs(policy, n, () => r);
        return delay >= Math.floor(step / 2) && delay <= step;
      }),
      { seed: 7 },
    );
  });
});

describe('errors', () => {
  it('maps abort reasons: a BatonError stays, a TimeoutError is TIMEOUT, anything else CANCELLED', () => {
    const own = new BatonError('SESSION_EXPIRED', 'gone');
    expect(abortReasonToError(own, 'x')).toBe(own);
    expect(abortReasonToError(new DOMException('t', 'TimeoutError'), 'x').code).toBe('TIMEOUT');
    expect(abortReasonToError(undefined, 'x').code).toBe('CANCELLED');
  });
});
