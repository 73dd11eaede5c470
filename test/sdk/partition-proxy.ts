/**
 * A WebSocket proxy in front of one node's client endpoint that can cut a client off without
 * closing anything: when blocked, every frame and ping in both directions is swallowed and new
 * connections hang, exactly what a client sees when its network (or the node) goes silent.
 * Leader hints in answers are rewritten to the proxies' URLs, so a client that follows them
 * stays behind the proxies.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export class PartitionProxy {
  blocked = false;
  private readonly sockets = new Set<WebSocket>();
  /** Real client URL → this proxy's client URL, for every proxied node. */
  rewrites: ReadonlyMap<string, string> = new Map();

  private constructor(
    private readonly wss: WebSocketServer,
    readonly targetUrl: string,
  ) {
    wss.on('connection', (client) => this.accept(client));
  }

  static async start(targetUrl: string): Promise<PartitionProxy> {
    // autoPong off: a blocked proxy must not answer the client's heartbeat pings either
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1/client', autoPong: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    return new PartitionProxy(wss, targetUrl);
  }

  /** The endpoint as an SDK user writes it. */
  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  get clientUrl(): string {
    return `${this.url}/v1/client`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(client: WebSocket): void {
    const upstream = new WebSocket(this.targetUrl, { autoPong: false });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const pending: string[] = [];
    const end = (): void => {
      client.terminate();
      upstream.terminate();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    upstream.on('open', () => {
      for (const text of pending.splice(0)) upstream.send(text);
    });
    client.on('message', (data) => {
      if (this.blocked) return;
      const text = data.toString();
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else pending.push(text);
    });
    upstream.on('message', (data) => {
      if (this.blocked) return;
      let text = data.toString();
      for (const [real, proxied] of this.rewrites) text = text.split(real).join(proxied);
      client.send(text);
    });
    client.on('ping', (payload) => {
      if (!this.blocked) client.pong(payload);
    });
  }
}

/** One proxy per node, each rewriting every node's URL to its proxy. */
export async function proxyAll(clientUrls: readonly string[]): Promise<PartitionProxy[]> {
  const proxies = await Promise.all(clientUrls.map((u) => PartitionProxy.start(u)));
  const rewrites = new Map(clientUrls.map((u, i) => [u, proxies[i]!.clientUrl] as const));
  for (const p of proxies) p.rewrites = rewrites;
  return proxies;
}
