/**
 * GET a member's `/v1/status` over its peer URL. With mutual TLS between peers the peer listener
 * asks for a client certificate, so the request presents this node's peer certificate and trusts
 * only the peer CA. Written on node:http/https rather than fetch: Node's fetch cannot present a
 * client certificate without undici's Agent, which is not importable from Node 20 itself.
 */
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { TlsMaterial } from '../tls/material.js';
import type { NodeStatusView } from './node-status.js';

/** A longer /v1/status answer is refused (a real one is a few hundred bytes per member). */
export const MAX_STATUS_BYTES = 256 * 1024;

export type StatusFetch =
  | { readonly ok: true; readonly status: NodeStatusView }
  | { readonly ok: false; readonly error: string };

export function fetchPeerStatus(peerUrl: string, tls: TlsMaterial | null, timeoutMs: number): Promise<StatusFetch> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL('/v1/status', peerUrl);
    } catch {
      resolve({ ok: false, error: 'bad peer URL' });
      return;
    }
    let settled = false;
    let req: ReturnType<typeof httpGet> | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const done = (r: StatusFetch): void => {
      if (settled) return;
      settled = true;
      if (timer !== null) clearTimeout(timer);
      req?.destroy();
      resolve(r);
    };
    const onResponse = (res: IncomingMessage): void => {
      if (res.statusCode !== 200) {
        res.resume();
        done({ ok: false, error: `HTTP ${res.statusCode}` });
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > MAX_STATUS_BYTES) done({ ok: false, error: 'answer too large' });
      });
      res.on('end', () => done(parseStatus(body)));
      res.on('error', (err) => done({ ok: false, error: err.message }));
    };
    const https = url.protocol === 'https:';
    const tlsOptions =
      https && tls !== null
        ? { cert: tls.cert, key: tls.key, ...(tls.ca === null ? {} : { ca: tls.ca }), rejectUnauthorized: true }
        : {};
    try {
      req = https ? httpsGet(url, tlsOptions, onResponse) : httpGet(url, onResponse);
    } catch (err) {
      done({ ok: false, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    req.on('error', (err: Error & { code?: string }) => done({ ok: false, error: err.code ?? err.message }));
    timer = setTimeout(() => done({ ok: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
}

function parseStatus(text: string): StatusFetch {
  try {
    const status = JSON.parse(text) as NodeStatusView;
    if (typeof status !== 'object' || status === null || typeof status.term !== 'number') {
      return { ok: false, error: 'not a status answer' };
    }
    return { ok: true, status };
  } catch {
    return { ok: false, error: 'not a status answer' };
  }
}
