/**
 * The node's plain HTTP routes (everything that is not a WebSocket upgrade), dispatched in one
 * place. Each route says who may call it: `public` (load-balancer and orchestrator probes) or
 * `read` (state that a read-permission token should be needed for once client auth exists).
 *
 * AUTH: the handler's `authorize` is the single place where a bearer token is checked for
 * non-public routes (the node passes one built from its token file; without one, all may read).
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

/** May this request reach a route of this access? (`Authorization: Bearer <token>` when auth is on.) */
export type HttpAuthorizer = (req: IncomingMessage, access: RouteAccess) => boolean;

const allowAll: HttpAuthorizer = () => true;

export function createHttpHandler(
  routes: ReadonlyMap<string, HttpRoute>,
  logger: Logger,
  authorize: HttpAuthorizer = allowAll,
): HttpHandler {
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
    if (route.access !== 'public' && !authorize(req, route.access)) {
      res.setHeader('www-authenticate', 'Bearer');
      sendText(
        res,
        401,
        'unauthenticated: this cluster needs a token with read permission (Authorization: Bearer …)\n',
      );
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

export function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(`${JSON.stringify(value)}\n`);
}
