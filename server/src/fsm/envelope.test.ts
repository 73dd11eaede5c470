import { LIMITS } from '@baton/proto-schemas';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from './bytes.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { FsmDecodeError } from './errors.js';
import { CoordinationFsm } from './fsm.js';
import { FsmHarness } from './test-harness.js';
import type { Command, Envelope } from './types.js';

const FC = { seed: 7, numRuns: 2_000 } as const;

const EVERY_OP: Command[] = [
  { op: 'openSession', ttlMs: 5_000 },
  { op: 'openSession', ttlMs: 5_000, label: 'wörker' },
  { op: 'closeSession', sessionId: 3 },
  { op: 'expireSession', sessionId: 3 },
  { op: 'acquire', sessionId: 3, name: 'job', limit: 1, wait: true, lockDelayMs: 0 },
  {
    op: 'acquire',
    sessionId: 3,
    name: 'pool',
    limit: 3,
    wait: false,
    lockDelayMs: 500,
    metadata: { owner: 'cron', pid: 7, up: true, none: null },
  },
  { op: 'cancelWait', sessionId: 3, name: 'job' },
  { op: 'release', sessionId: 3, name: 'job', token: 99 },
  { op: 'campaign', sessionId: 3, name: 'primary', value: '' },
  { op: 'proclaim', sessionId: 3, name: 'primary', term: 12, value: '☃' },
  { op: 'resign', sessionId: 3, name: 'primary', term: 12 },
  { op: 'endLockDelay', name: 'job' },
  { op: 'endLockDelay', name: 'job', sinceIndex: 44 },
];

function env(cmd: Command, clientId = 'client-1', seq = 17): Envelope {
  return { clientId, seq, atMs: 1_700_000_000_123, cmd };
}

function decodeFails(bytes: Uint8Array): string {
  try {
    decodeEnvelope(bytes);
  } catch (err) {
    if (err instanceof FsmDecodeError) return err.code;
    throw err;
  }
  return 'decoded';
}

describe('envelope encoding', () => {
  it('round-trips every operation, optional fields present or not', () => {
    for (const cmd of EVERY_OP) {
      const e = env(cmd);
      expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
    }
    const leader = env({ op: 'expireSession', sessionId: 9 }, '', 0);
    expect(decodeEnvelope(encodeEnvelope(leader))).toEqual(leader);
  });

  it('refuses every truncation and any trailing byte', () => {
    for (const cmd of EVERY_OP) {
      const bytes = encodeEnvelope(env(cmd));
      for (let n = 0; n < bytes.length; n++) expect(decodeFails(bytes.subarray(0, n))).toBe('FSM_DECODE');
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      expect(decodeFails(longer)).toBe('FSM_DECODE');
    }
  });

  it('refuses bad format bytes, op codes, booleans, numbers, UTF-8, ids and metadata', () => {
    const good = encodeEnvelope(env({ op: 'closeSession', sessionId: 1 }));
    const withByte = (i: number, v: number) => {
      const b = good.slice();
      b[i] = v;
      return b;
    };
    expect(decodeFails(withByte(0, 0x00))).toBe('FSM_DECODE'); // format
    const opAt = 1 + 4 + 'client-1'.length + 8 + 8;
    expect(decodeFails(withByte(opAt, 0))).toBe('FSM_DECODE');
    expect(decodeFails(withByte(opAt, 200))).toBe('FSM_DECODE');

    const build = (f: (w: ByteWriter) => void) => {
      const w = new ByteWriter();
      f(w);
      return w.finish();
    };
    const header = (w: ByteWriter, clientId: string, seq: number, atMs = 0) => {
      w.u8(0xb1);
      w.str(clientId);
      w.f64(seq);
      w.f64(atMs);
    };
    /** A closeSession entry written field by field, so any field may be wrong. */
    const close = (clientId: string, seq: number, atMs: number, sessionId: number) =>
      build((w) => {
        header(w, clientId, seq, atMs);
        w.u8(2);
        w.f64(sessionId);
      });
    // clientId '' goes with seq 0 and only with it; seq is a non-negative integer
    for (const [clientId, seq] of [
      ['', 3],
      ['c', 0],
      ['c', -1],
      ['c', 1.5],
    ] as const) {
      expect(decodeFails(close(clientId, seq, 0, 1))).toBe('FSM_DECODE');
    }
    expect(decodeFails(close('x'.repeat(LIMITS.maxClientIdBytes + 1), 1, 0, 1))).toBe('FSM_DECODE');
    expect(decodeFails(close('c', 1, Number.NaN, 1))).toBe('FSM_DECODE');
    expect(decodeFails(close('c', 1, 0, Number.POSITIVE_INFINITY))).toBe('FSM_DECODE');
    expect(decodeFails(close('c', 1, 0, 1))).toBe('decoded');
    // acquire with wait = 2, and with metadata that is not a flat object
    const acquire = (wait: number, metadata: string | null) =>
      build((w) => {
        header(w, 'c', 1);
        w.u8(4);
        w.f64(1);
        w.str('job');
        w.f64(1);
        w.u8(wait);
        w.f64(0);
        w.optStr(metadata);
      });
    expect(decodeFails(acquire(1, null))).toBe('decoded');
    expect(decodeFails(acquire(2, null))).toBe('FSM_DECODE');
    for (const m of ['[]', 'null', '{"a":{"b":1}}', '{"a":[1]}', '{', '"x"']) {
      expect(decodeFails(acquire(1, m)), m).toBe('FSM_DECODE');
    }
    // malformed UTF-8 in a name
    const badUtf8 = build((w) => {
      header(w, 'c', 1);
      w.u8(5);
      w.f64(1);
      w.u32(2);
      w.u8(0xc3);
      w.u8(0x28);
    });
    expect(decodeFails(badUtf8)).toBe('FSM_DECODE');
  });

  it('arbitrary bytes: decode throws only FsmDecodeError, apply answers INVALID_ARGUMENT and changes nothing', () => {
    const h = new FsmHarness();
    const s = h.open();
    h.lock(s, 'x');
    const before = h.state();
    const fsm = CoordinationFsm.restore(h.fsm.snapshot());
    let index = h.index;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const outcome = decodeFails(bytes);
        if (outcome === 'decoded') return; // (astronomically rare; then it is a real command)
        const out = fsm.apply(++index, bytes);
        expect(out.result).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
        expect(out.events).toEqual([]);
      }),
      FC,
    );
    const after = fsm.snapshot();
    after.fill(0, 5, 13);
    expect(Buffer.from(after).toString('hex')).toBe(before);
  });

  it('mutations of valid entries decode to something valid or fail with FsmDecodeError, never crash', () => {
    const samples = EVERY_OP.map((c) => encodeEnvelope(env(c)));
    fc.assert(
      fc.property(fc.nat(samples.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 }), (which, at, value) => {
        const b = (samples[which] as Uint8Array).slice();
        b[at % b.length] = value;
        const outcome = decodeFails(b);
        if (outcome === 'decoded') expect(encodeEnvelope(decodeEnvelope(b)).length).toBeGreaterThan(0);
      }),
      FC,
    );
  });
});
