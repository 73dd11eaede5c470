/** Endpoints as users write them (`ws://host:port`), as the SDK dials them (`…/v1/client`). */
import { BatonError } from './errors.js';

export const CLIENT_PATH = '/v1/client';

/**
 * `ws://host:port` or `wss://host:port`, optionally already ending in /v1/client, becomes the
 * client URL `ws(s)://host:port/v1/client`. Anything else is INVALID_ARGUMENT.
 */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new BatonError('INVALID_ARGUMENT', `endpoint ${JSON.stringify(endpoint)} is not a URL`, {
      field: 'endpoints',
    });
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new BatonError('INVALID_ARGUMENT', `endpoint ${JSON.stringify(endpoint)} must start with ws:// or wss://`, {
      field: 'endpoints',
    });
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (path !== '' && path !== CLIENT_PATH) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `endpoint ${JSON.stringify(endpoint)} must have no path or ${CLIENT_PATH}`,
      {
        field: 'endpoints',
      },
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new BatonError('INVALID_ARGUMENT', `endpoint ${JSON.stringify(endpoint)} must have no query or fragment`, {
      field: 'endpoints',
    });
  }
  return `${url.protocol}//${url.host}${CLIENT_PATH}`;
}

/** A leader hint from the server, or undefined when it is not a usable client URL. */
export function normalizeHint(hint: string | undefined): string | undefined {
  if (hint === undefined) return undefined;
  try {
    return normalizeEndpoint(hint);
  } catch {
    return undefined;
  }
}
