/**
 * GET /v1/status with a short timeout: a stopped or partitioned node must not hold the poller
 * up (the shared harness waits a full second per request).
 */
import { get } from 'node:http';

/** What the chaos harness reads from a node's status answer. */
export interface NodeStatusView {
  readonly name: string;
  readonly role: string;
  readonly leader: string | null;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

export function fetchStatus(host: string, port: number, timeoutMs: number): Promise<NodeStatusView | null> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (v: NodeStatusView | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
    const req = get({ host, port, path: '/v1/status' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        try {
          finish(JSON.parse(body) as NodeStatusView);
        } catch {
          finish(null);
        }
      });
      res.on('error', () => finish(null));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(null);
    }, timeoutMs);
    req.on('error', () => finish(null));
  });
}
