import { describe, expect, it } from 'vitest';
import { LazySignal } from './lazy-signal.js';

describe('LazySignal', () => {
  it('fires listeners of a signal made before the abort, with the reason', () => {
    const s = new LazySignal();
    const signal = s.signal;
    let seen: unknown = null;
    signal.addEventListener('abort', () => {
      seen = signal.reason;
    });
    expect(s.aborted).toBe(false);
    s.abort(() => 'lost');
    expect(seen).toBe('lost');
    expect(s.aborted).toBe(true);
  });

  it('gives a signal asked for after the abort already aborted, with the reason built then', () => {
    const s = new LazySignal();
    let built = 0;
    s.abort(() => {
      built++;
      return 'released';
    });
    expect(built).toBe(0);
    expect(s.aborted).toBe(true);
    expect(s.signal.aborted).toBe(true);
    expect(s.signal.reason).toBe('released');
    expect(built).toBe(1);
  });

  it('keeps the first reason', () => {
    const s = new LazySignal();
    s.abort(() => 'first');
    s.abort(() => 'second');
    expect(s.signal.reason).toBe('first');
  });
});
