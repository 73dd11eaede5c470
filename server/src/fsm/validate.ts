/**
 * Argument checks. Each returns null when the argument is acceptable, else the message of an
 * INVALID_ARGUMENT result naming the field. They run before anything changes.
 */
import { LIMITS } from '@baton/proto-schemas';
import { utf8ByteLength } from './bytes.js';
import { metadataJson } from './metadata.js';
import type { HoldMetadata } from './types.js';

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** Lock, semaphore and election names: 1..maxNameBytes bytes of UTF-8, no control characters. */
export function checkName(name: string): string | null {
  const bytes = utf8ByteLength(name);
  if (bytes === 0 || bytes > LIMITS.maxNameBytes) return `name must be 1..${LIMITS.maxNameBytes} bytes, got ${bytes}`;
  if (hasControlCharacter(name)) return 'name must not contain control characters';
  return null;
}

export function checkTtl(ttlMs: number): string | null {
  if (!Number.isInteger(ttlMs) || ttlMs < LIMITS.minTtlMs || ttlMs > LIMITS.maxTtlMs) {
    return `ttlMs must be an integer in ${LIMITS.minTtlMs}..${LIMITS.maxTtlMs}, got ${ttlMs}`;
  }
  return null;
}

export function checkLabel(label: string): string | null {
  const bytes = utf8ByteLength(label);
  if (bytes > LIMITS.maxSessionLabelBytes) return `label must be at most ${LIMITS.maxSessionLabelBytes} bytes`;
  return null;
}

export function checkLimit(limit: number): string | null {
  if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.maxSemaphoreLimit) {
    return `limit must be an integer in 1..${LIMITS.maxSemaphoreLimit}, got ${limit}`;
  }
  return null;
}

export function checkLockDelay(lockDelayMs: number): string | null {
  if (!Number.isInteger(lockDelayMs) || lockDelayMs < 0 || lockDelayMs > LIMITS.maxLockDelayMs) {
    return `lockDelayMs must be an integer in 0..${LIMITS.maxLockDelayMs}, got ${lockDelayMs}`;
  }
  return null;
}

export function checkMetadata(metadata: HoldMetadata | undefined): string | null {
  if (metadata === undefined) return null;
  const bytes = utf8ByteLength(metadataJson(metadata));
  if (bytes > LIMITS.maxMetadataBytes) return `metadata must be at most ${LIMITS.maxMetadataBytes} bytes as JSON`;
  return null;
}

export function checkValue(value: string): string | null {
  const bytes = utf8ByteLength(value);
  if (bytes > LIMITS.maxValueBytes) return `value must be at most ${LIMITS.maxValueBytes} bytes, got ${bytes}`;
  return null;
}
