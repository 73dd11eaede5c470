/** The HTTP dispatch: unknown paths, methods, failing routes, and the routes a node serves. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../node/logger.js';
import { createHttpHandler, type HttpAuthorizer, type HttpRoute, sendJson } from './routes.js';

let server: Server | null = null;
afterEach(async () => {
  const s = server;
  server = null;
  if (s !== null) await new Promise<void>((r) => s.close(() => r()));
});

async function serve(routes: Map<string, HttpRoute>, authorize?: HttpAuthorizer): Promise<string> {
  const s = createServer(createHttpHandler(routes, silentLogger(), authorize));
  server = s;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('createHttpHandler', () => {
  it('routes by path (ignoring the query), refuses other methods and unknown paths, and survives a failing route', async () => {
    const base = await serve(
      new Map<string, HttpRoute>([
        ['/ok', { access: 'public', handle: (_q, res) => sendJson(res, 200, { fine: true }) }],
        [
          '/boom',
          {
            access: 'read',
            handle: async () => {
              throw new Error('route bug');
            },
          },
        ],
      ]),
    );
    const ok = await fetch(`${base}/ok?x=1`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await ok.json()).toEqual({ fine: true });
    const head = await fetch(`${base}/ok`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}/ok`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const boom = await fetch(`${base}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).toBe('internal error\n');
    // still serving
    expect((await fetch(`${base}/ok`)).status).toBe(200);
  });

  it('asks the authorizer for every non-public route, and answers 401 when it says no', async () => {
    const asked: string[] = [];
    const base = await serve(
      new Map<string, HttpRoute>([
        ['/probe', { access: 'public', handle: (_q, res) => sendJson(res, 200, { up: true }) }],
        ['/data', { access: 'read', handle: (_q, res) => sendJson(res, 200, { secret: 1 }) }],
      ]),
      (req, access) => {
        asked.push(access);
        return req.headers.authorization === 'Bearer right-token-0123456789';
      },
    );
    expect((await fetch(`${base}/probe`)).status).toBe(200);
    const refused = await fetch(`${base}/data`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refused.text()).not.toContain('secret');
    const wrong = await fetch(`${base}/data`, { headers: { authorization: 'Bearer wrong' } });
    expect(wrong.status).toBe(401);
    const allowed = await fetch(`${base}/data`, { headers: { authorization: 'Bearer right-token-0123456789' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ secret: 1 });
    expect(asked).toEqual(['read', 'read', 'read']);
  });
});
