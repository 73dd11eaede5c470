/** The built package works from both module systems with the same API. */

import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as esm from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

const cjs = createRequire(import.meta.url)('@baton/sdk') as typeof esm;

/** Just enough of a node to say hello and describe a name. */
let server: WebSocketServer;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1/client' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      const request = JSON.parse(data.toString()) as { id: string; type: string; name?: string };
      const result =
        request.type === 'hello'
          ? { protocolVersion: 1, nodeId: 'n1', serverVersion: 'test' }
          : {
              name: request.name,
              kind: 'none',
              limit: 0,
              generation: 0,
              holders: [],
              waiters: [],
              lockDelayRemainingMs: 0,
            };
      ws.send(JSON.stringify({ type: 'response', id: request.id, ok: true, result }));
    });
  });
});

afterAll(async () => {
  for (const ws of server.clients) ws.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('@baton/sdk build', () => {
  it('exports the same API to require() (CommonJS) and import (ESM)', () => {
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
    expect(cjs.isBatonError(new cjs.BatonError('TIMEOUT', 'x'), 'TIMEOUT')).toBe(true);
  });

  it.each([
    ['CommonJS', cjs],
    ['ESM', esm],
  ])('the %s build connects and answers a request', async (_, sdk) => {
    const endpoint = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = await sdk.BatonClient.connect({ endpoints: [endpoint] });
    try {
      expect((await client.describe('jobs/report')).kind).toBe('none');
    } finally {
      await client.close();
    }
  });
});
