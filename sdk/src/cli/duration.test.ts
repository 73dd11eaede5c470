import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_MS, parseDuration } from './duration.js';
import { UsageError } from './exit-codes.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['0', 0],
    ['0s', 0],
    ['0.0001s', 1],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text, 'ttl')).toBe(ms);
  });

  it.each(['', '10', '10 s', 's', '-1s', '1d', '10sec', '1s ', 'ms10', '1e3ms', '.5s'])(
    'refuses %j naming the flag',
    (text) => {
      expect(() => parseDuration(text, 'ttl')).toThrow(UsageError);
      expect(() => parseDuration(text, 'ttl')).toThrow(/^--ttl: /);
    },
  );

  it('refuses more than the longest duration', () => {
    expect(parseDuration(`${MAX_DURATION_MS}ms`, 'timeout')).toBe(MAX_DURATION_MS);
    expect(() => parseDuration(`${MAX_DURATION_MS + 1}ms`, 'timeout')).toThrow(/longer than/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [1_500, '1.5s'],
    [10_000, '10s'],
    [90_000, '1m30s'],
    [120_000, '2m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 250, 1_000, 45_000, 60_000, 61_000, 3_600_000, 7_260_000]) {
      expect(parseDuration(formatDuration(ms), 'x')).toBe(ms);
    }
  });
});
