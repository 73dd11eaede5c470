/**
 * Hold metadata travels and is stored as JSON text. Parsing the same text gives the same key
 * order on every node, so states and snapshots stay byte-identical.
 */
import type { HoldMetadata } from './types.js';

/** Parses metadata JSON; null when it is not a flat object of strings, numbers, booleans and nulls. */
export function parseMetadata(text: string): HoldMetadata | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  for (const x of Object.values(v)) {
    if (x !== null && typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') return null;
  }
  return Object.freeze(v as HoldMetadata);
}

export function metadataJson(m: HoldMetadata): string {
  return JSON.stringify(m);
}
