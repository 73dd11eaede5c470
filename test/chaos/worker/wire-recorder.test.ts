/**
 * The wire recorder on scripted frames: one operation per seq with the server's real answer
 * (a NOT_HOLDER the SDK would hide), unknown when no definite answer came, the expiry bound
 * moved by acknowledged keepalives, and the `expire` record a lost session needs.
 */

import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { HistoryRecord } from './protocol.js';
import { WireRecorder } from './wire-recorder.js';

function setup() {
  let nowMs = 0;
  const records: HistoryRecord[] = [];
  const recorder = new WireRecorder({
    now: () => nowMs,
    emit: (r) => records.push(r),
    nodeOf: () => 'n1',
    clientOf: (s) => (s === '7' ? 'w1.0' : undefined),
    fallbackClient: 'w1.sdk',
  });
  const socket = { url: 'ws://127.0.0.1:1/v1/client' } as unknown as WebSocket;
  return {
    records,
    recorder,
    at(ms: number) {
      nowMs = ms;
    },
    send(frame: Record<string, unknown>) {
      recorder.sent(socket, frame);
    },
    answer(id: string, body: Record<string, unknown>) {
      recorder.received(socket, { type: 'response', id, ...body });
    },
  };
}

function openSession(t: ReturnType<typeof setup>): void {
  t.at(10);
  t.send({ type: 'session.open', id: 'r1', seq: 1, ttlMs: 2_000 });
  t.at(12);
  t.answer('r1', { ok: true, result: { sessionId: '7', ttlMs: 2_000 } });
}

describe('WireRecorder', () => {
  it('records a release answered NOT_HOLDER as such, once per seq across retries', () => {
    const t = setup();
    openSession(t);
    t.at(100);
    t.send({ type: 'lock.release', id: 'r2', seq: 2, sessionId: '7', name: 'L', token: 5 });
    t.answer('r2', { ok: false, error: { code: 'UNAVAILABLE', message: 'x' } });
    t.at(150);
    t.send({ type: 'lock.release', id: 'r3', seq: 2, sessionId: '7', name: 'L', token: 5 });
    t.at(160);
    t.answer('r3', { ok: false, error: { code: 'NOT_HOLDER', message: 'x' } });
    expect(t.records).toEqual([
      {
        client: 'w1.0',
        invokeMs: 100,
        returnMs: 160,
        node: 'n1',
        op: 'release',
        name: 'L',
        args: { session: '7', token: 5 },
        result: { error: { code: 'NOT_HOLDER' } },
      },
    ]);
  });

  it('leaves an operation without a definite answer unknown, and emits it at the flush', () => {
    const t = setup();
    openSession(t);
    t.at(100);
    t.send({ type: 'election.resign', id: 'r2', seq: 2, sessionId: '7', name: 'E', term: 9 });
    expect(t.records).toEqual([]);
    t.recorder.flush();
    expect(t.records[0]).toMatchObject({ op: 'resign', returnMs: null, result: null, args: { session: '7', term: 9 } });
  });

  it('moves the expiry bound with acknowledged keepalives and emits the expire of a lost session', () => {
    const t = setup();
    openSession(t);
    t.at(700);
    t.send({ type: 'session.keepalive', id: 'r2', sessionId: '7' });
    t.at(705);
    t.answer('r2', { ok: true, result: { ttlMs: 2_000, remainingMs: 2_000 } });
    t.at(1_400);
    t.send({ type: 'session.keepalive', id: 'r3', sessionId: '7' }); // never answered
    t.recorder.sessionEnded('7', 'SESSION_EXPIRED', 2_450);
    t.at(2_460);
    t.send({ type: 'session.close', id: 'r4', seq: 3, sessionId: '7' });
    t.at(2_800);
    t.answer('r4', { ok: false, error: { code: 'SESSION_EXPIRED', message: 'gone' } });
    const [report] = t.recorder.flush();
    expect(report).toMatchObject({ session: '7', expiryBoundMs: 2_700, serverExpiredMs: 2_800, closedOk: false });
    expect(t.records.find((r) => r.op === 'expire')).toEqual({
      client: 'w1.0',
      invokeMs: 2_700,
      returnMs: 2_800,
      op: 'expire',
      args: { session: '7' },
      result: {},
    });
    expect(t.records.find((r) => r.op === 'close')?.result).toEqual({ error: { code: 'SESSION_EXPIRED' } });
  });

  it('needs no expire for a session closed with an acknowledgment', () => {
    const t = setup();
    openSession(t);
    t.at(500);
    t.send({ type: 'session.close', id: 'r2', seq: 2, sessionId: '7' });
    t.answer('r2', { ok: true, result: {} });
    t.recorder.flush();
    expect(t.records.map((r) => r.op)).toEqual(['close']);
  });
});
