/**
 * The downstream register each fenced lock guards, kept in the harness process: it accepts a
 * write only if its token is ≥ the highest token it has accepted for that lock (the SDK's fence
 * helper semantics: equal = the same holder writing again). `advance` records a token without
 * changing the value — a holder does it right after its grant so that an older holder's late
 * write is refused even before the new holder's first write (what makes lock-set safe).
 *
 * Every call is logged (accepted or refused) and recorded in the history as the lock model's
 * `write`/`read` on the lock's name; an advance is recorded as a write of the current value,
 * which is exactly what it is. The lock-set's value grows with the run, so the history and the
 * log carry a digest of it (`<elements>:<sha1 prefix>` — equal values, equal digests, which is
 * all the lock model compares) and the log names the elements each accepted write added.
 */
import { createHash } from 'node:crypto';
import type { HistoryRecord, StoreOp, StoreReply } from '../worker/protocol.js';

export interface StoreLogEntry {
  readonly atMs: number;
  readonly client: string;
  readonly name: string;
  readonly op: StoreOp;
  readonly token: number;
  readonly accepted: boolean;
  /** Highest accepted token before this call. */
  readonly highestBefore: number;
  /** Digest of the value written (write, advance) or read. */
  readonly digest: string | null;
  /** Elements an accepted write added to the set (the lost-update check wants each of them at the end). */
  readonly added: readonly string[];
}

/** The lock-set workload stores a JSON array of elements. */
export const EMPTY_SET = '[]';

interface Register {
  highestToken: number;
  value: string | null;
}

export class FencedStore {
  private readonly registers = new Map<string, Register>();
  readonly log: StoreLogEntry[] = [];

  constructor(
    private readonly now: () => number,
    private readonly record: (rec: HistoryRecord) => void,
  ) {}

  apply(client: string, process: number, op: StoreOp, name: string, token: number, value: string | null): StoreReply {
    const atMs = this.now();
    const reg = this.register(name);
    const highestBefore = reg.highestToken;
    let accepted = true;
    let added: string[] = [];
    let digest: string | null;
    if (op === 'read') {
      digest = digestOf(reg.value);
      this.record(rec(client, process, atMs, 'read', name, {}, { value: digest }));
    } else {
      accepted = token >= reg.highestToken;
      // an advance rewrites the current value; on a register never written that is the empty set,
      // so that the history's write and the register agree on what a later read returns
      const written = op === 'write' ? (value ?? EMPTY_SET) : (reg.value ?? EMPTY_SET);
      digest = digestOf(written);
      if (accepted) {
        const before = new Set(parseSet(reg.value));
        added = parseSet(written).filter((el) => !before.has(el));
        reg.highestToken = token;
        reg.value = written;
      }
      this.record(rec(client, process, atMs, 'write', name, { token, value: digest }, { accepted }));
    }
    this.log.push({ atMs, client, name, op, token, accepted, highestBefore, digest, added });
    return { accepted, value: reg.value, highestToken: reg.highestToken };
  }

  /** The register's value now (for the final lost-update check). */
  valueOf(name: string): string | null {
    return this.registers.get(name)?.value ?? null;
  }

  get names(): string[] {
    return [...this.registers.keys()];
  }

  private register(name: string): Register {
    let reg = this.registers.get(name);
    if (reg === undefined) {
      reg = { highestToken: 0, value: null };
      this.registers.set(name, reg);
    }
    return reg;
  }
}

export function parseSet(value: string | null): string[] {
  if (value === null) return [];
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

/** `<elements>:<first 12 hex of sha1>`; null stays null (never written). */
export function digestOf(value: string | null): string | null {
  if (value === null) return null;
  return `${parseSet(value).length}:${createHash('sha1').update(value).digest('hex').slice(0, 12)}`;
}

function rec(
  client: string,
  process: number,
  atMs: number,
  op: 'read' | 'write',
  name: string,
  args: Record<string, unknown>,
  result: Record<string, unknown>,
): HistoryRecord {
  // the store acts atomically inside one event-loop turn: a zero-width operation
  return { client, process, node: 'store', invokeMs: atMs, returnMs: atMs, op, name, args, result };
}
