/**
 * A WebSocket proxy between one client worker and one node's client endpoint (the idea of
 * test/sdk/partition-proxy.ts): when blocked, every frame and ping in both directions is
 * swallowed and new connections hang — what a client sees when its own network goes silent while
 * it keeps running. Leader hints in answers are rewritten to this worker's proxies, so a client
 * that follows them stays behind its proxies. Each worker gets one proxy per node (ClientNet).
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { HOST } from '../../cluster/harness.js';

export class ClientProxy {
  blocked = false;
  private readonly sockets = new Set<WebSocket>();
  /** Real client URL → proxy client URL, for every node. */
  rewrites: ReadonlyMap<string, string> = new Map();

  private constructor(
    private readonly wss: WebSocketServer,
    readonly targetUrl: string,
  ) {
    wss.on('connection', (client) => this.accept(client));
  }

  static async start(targetUrl: string): Promise<ClientProxy> {
    // autoPong off: a blocked proxy must not answer the client's heartbeat pings either
    const wss = new WebSocketServer({ host: HOST, port: 0, path: '/v1/client', autoPong: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    return new ClientProxy(wss, targetUrl);
  }

  get clientUrl(): string {
    return `ws://${HOST}:${(this.wss.address() as AddressInfo).port}/v1/client`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(client: WebSocket): void {
    const upstream = new WebSocket(this.targetUrl, { autoPong: false, perMessageDeflate: false });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const pending: string[] = [];
    const end = (): void => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
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

/** One worker's way to the cluster: a proxy per node, blocked and unblocked together. */
export class ClientNet {
  private constructor(readonly proxies: readonly ClientProxy[]) {}

  static async start(realUrls: readonly string[]): Promise<ClientNet> {
    const proxies = await Promise.all(realUrls.map((u) => ClientProxy.start(u)));
    const rewrites = new Map(realUrls.map((u, i) => [u, proxies[i]!.clientUrl] as const));
    for (const p of proxies) p.rewrites = rewrites;
    return new ClientNet(proxies);
  }

  /** The endpoints the worker uses, in node order. */
  get urls(): string[] {
    return this.proxies.map((p) => p.clientUrl);
  }

  setBlocked(blocked: boolean): void {
    for (const p of this.proxies) p.blocked = blocked;
  }

  async stop(): Promise<void> {
    await Promise.all(this.proxies.map((p) => p.stop()));
  }
}
