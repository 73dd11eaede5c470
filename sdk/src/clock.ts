/**
 * A monotonic clock in milliseconds. Loss detection compares keepalive send times with "now", so
 * it must never jump with the wall clock: the default reads performance.now() at each call (which
 * also lets tests fake it with fake timers).
 */
export interface MonotonicClock {
  now(): number;
}

export const systemClock: MonotonicClock = Object.freeze({ now: () => performance.now() });
