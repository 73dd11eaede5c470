/**
 * Checks a parsed JSON value before any schema sees it: no nesting deeper than LIMITS.maxFrameDepth
 * and no key that could reach an object's prototype if a consumer ever copied the value into a
 * plain object. Iterative, so a hostile frame cannot exhaust the stack.
 */
import { LIMITS } from './limits.js';

/** `__proto__` is an own key after JSON.parse; copying it with `obj[key] = …` sets a prototype. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export type JsonGuardFailure = { reason: 'tooDeep' | 'forbiddenKey'; path: string };

export function checkJsonShape(value: unknown, maxDepth: number = LIMITS.maxFrameDepth): JsonGuardFailure | null {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 1, path: '' }];
  // Each container is pushed once and a parsed frame is a finite tree, so this ends; the stack
  // holds at most one entry per container of the frame.
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (!isContainer(item.value)) continue;
    if (item.depth > maxDepth) return { reason: 'tooDeep', path: item.path };
    const entries: [string | number, unknown][] = Array.isArray(item.value)
      ? item.value.map((child, index) => [index, child])
      : Object.entries(item.value);
    for (const [key, child] of entries) {
      const path = joinPath(item.path, key);
      if (typeof key === 'string' && FORBIDDEN_KEYS.has(key)) return { reason: 'forbiddenKey', path };
      if (isContainer(child)) stack.push({ value: child, depth: item.depth + 1, path });
    }
  }
  return null;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** `a.b`, `a[0]`: the field naming used in error messages. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}
