import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPeerStatus, MAX_STATUS_BYTES } from './peer-status-fetch.js';

const STATUS = { name: 'n2', role: 'follower', term: 4, commitIndex: 9, appliedIndex: 9, lastIndex: 9, members: [] };
type Mode = 'ok' | 'missing' | 'garbage' | 'huge' | 'silent';

let server: Server;
let peerUrl: string;
let mode: Mode = 'ok';
const silent: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/v1/status' || mode === 'missing') {
      res.writeHead(404).end('not found\n');
      return;
    }
    if (mode === 'silent') {
      silent.push(res);
      return;
    }
    const body =
      mode === 'garbage' ? 'not json' : mode === 'huge' ? 'x'.repeat(MAX_STATUS_BYTES + 1) : JSON.stringify(STATUS);
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  peerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of silent) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('fetchPeerStatus', () => {
  it('reads a status answer', async () => {
    mode = 'ok';
    expect(await fetchPeerStatus(peerUrl, null, 2_000)).toEqual({ ok: true, status: STATUS });
  });

  it('says why when there is none: HTTP status, not a status, too large, no answer in time, refused', async () => {
    const cases: [Mode, RegExp][] = [
      ['missing', /^HTTP 404$/],
      ['garbage', /^not a status answer$/],
      ['huge', /^answer too large$/],
      ['silent', /^no answer within 200 ms$/],
    ];
    for (const [m, error] of cases) {
      mode = m;
      const answer = await fetchPeerStatus(peerUrl, null, 200);
      expect(answer.ok, m).toBe(false);
      expect(answer.ok ? '' : answer.error, m).toMatch(error);
    }
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    expect(await fetchPeerStatus(`http://127.0.0.1:${closed}`, null, 2_000)).toEqual({
      ok: false,
      error: 'ECONNREFUSED',
    });
    expect(await fetchPeerStatus('not a url', null, 2_000)).toEqual({ ok: false, error: 'bad peer URL' });
  });
});
