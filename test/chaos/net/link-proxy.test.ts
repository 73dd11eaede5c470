/**
 * The link proxy against a loopback echo server: bytes pass; `cut` resets connections and
 * refuses new ones; `drop` swallows bytes and resets the broken connection on heal; a delay
 * keeps the order of chunks.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOST, waitFor } from '../../cluster/harness.js';
import { LinkProxy } from './link-proxy.js';

let echo: Server;
let echoPort: number;
let proxy: LinkProxy;

beforeEach(async () => {
  echo = createServer((s) => {
    s.on('error', () => {}); // the proxy resets its upstream side on cut/heal
    s.pipe(s);
  });
  echoPort = await new Promise<number>((resolve) => {
    echo.listen(0, HOST, () => {
      const a = echo.address();
      resolve(typeof a === 'object' && a !== null ? a.port : 0);
    });
  });
  proxy = await LinkProxy.start('a', 'b', echoPort, () => 0.5);
});

afterEach(async () => {
  await proxy.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

function connect(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: HOST, port: proxy.port }, () => {
      s.off('error', reject);
      s.on('error', () => {}); // resets are what some tests expect; `closed` observes them
      resolve(s);
    });
    s.once('error', reject);
  });
}

function readBytes(s: Socket, n: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (c: Buffer): void => {
      got += c.toString();
      if (got.length >= n) {
        s.off('data', onData);
        resolve(got);
      }
    };
    s.on('data', onData);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve();
    s.once('close', () => resolve());
    s.on('error', () => {});
  });
}

describe('LinkProxy', () => {
  it('passes bytes both ways', async () => {
    const s = await connect();
    s.write('hello');
    expect(await readBytes(s, 5)).toBe('hello');
    s.destroy();
  });

  it('cut resets open connections and new ones', async () => {
    const s = await connect();
    s.write('x');
    await readBytes(s, 1);
    const gone = closed(s);
    proxy.setMode('cut');
    await gone;
    const again = createConnection({ host: HOST, port: proxy.port });
    await closed(again);
    proxy.heal();
    const fresh = await connect();
    fresh.write('ok');
    expect(await readBytes(fresh, 2)).toBe('ok');
    fresh.destroy();
  });

  it('drop swallows bytes silently, and the broken connection is reset on heal', async () => {
    const s = await connect();
    s.write('a');
    await readBytes(s, 1);
    proxy.setMode('drop');
    let received = '';
    s.on('data', (c: Buffer) => {
      received += c.toString();
    });
    s.write('lost');
    const gone = closed(s);
    await waitFor('the proxy to drop the bytes', () => (proxy.droppedBytes >= 4 ? true : null), 5_000, 10);
    proxy.heal();
    await gone;
    expect(received).toBe('');
  });

  it('delays chunks without reordering them', async () => {
    proxy.setDelay({ delayMs: 30, jitterMs: 20 });
    const s = await connect();
    const expected = Array.from({ length: 20 }, (_, i) => String.fromCharCode(97 + i)).join('');
    const got = readBytes(s, expected.length);
    for (const ch of expected) s.write(ch);
    expect(await got).toBe(expected);
    s.destroy();
  });
});
