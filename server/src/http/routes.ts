/**
 * The node's plain HTTP routes (everything that is not a WebSocket upgrade), dispatched in one
 * place. Each route says who may call it: `public` (load-balancer and orchestrator probes) or
 * `read` (state that a read-permission token should be needed for once client auth exists).
 *
 * AUTH: `authorize` below is the single place to check a bearer token for non-public routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../node/logger.js';

export type RouteAccess = 'public' | 'read';

export interface HttpRoute {
  readonly access: RouteAccess;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

/** Every route answers GET (and HEAD); nothing here changes state. */
const ALLOWED_METHODS = new Set(['GET', 'HEAD']);

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpHandler(routes: ReadonlyMap<string, HttpRoute>, logger: Logger): HttpHandler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes.get(path);
    if (route === undefined) {
      sendText(res, 404, 'not found\n');
      return;
    }
    if (!ALLOWED_METHODS.has(req.method ?? '')) {
      res.setHeader('allow', 'GET, HEAD');
      sendText(res, 405, 'method not allowed\n');
      return;
    }
    if (!authorize(req, route.access)) {
      sendText(res, 401, 'unauthenticated\n');
      return;
    }
    Promise.resolve()
      .then(() => route.handle(req, res))
      .catch((err: unknown) => {
        logger.error({ err, path }, 'http route failed');
        if (!res.headersSent) sendText(res, 500, 'internal error\n');
        else res.destroy();
      });
  };
}

/** Client auth does not exist yet: every caller may read. A token check goes here. */
function authorize(_req: IncomingMessage, access: RouteAccess): boolean {
  return access === 'public' || access === 'read';
}

export function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(`${JSON.stringify(value)}\n`);
}
