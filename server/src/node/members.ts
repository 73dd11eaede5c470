/**
 * Cluster members as the operator names them (`n1=http://127.0.0.1:7001,...`) and as the Raft
 * core knows them (positive integer ids). The id is derived from the name, so every node computes
 * the same id for the same name without a registry; a collision between two names of one
 * cluster is refused at start.
 */
import type { NodeId } from '../raft/types.js';

export interface Member {
  readonly name: string;
  readonly id: NodeId;
  /** Base URL peers dial (`http://host:port`); may point at a proxy. */
  readonly peerUrl: string;
  /** The WebSocket URL clients use (`ws://host:port/v1/client`). */
  readonly clientUrl: string;
}

export class MembersError extends Error {
  readonly code = 'INVALID_MEMBERS';
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function isValidNodeName(name: string): boolean {
  return NAME_RE.test(name);
}

/** FNV-1a (32-bit) of the name's UTF-8 bytes, mapped to a positive id (0 means "nobody" in Raft). */
export function nodeIdFromName(name: string): NodeId {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}

/** The client URL for a peer URL: same host and port, `ws(s)` scheme, path `/v1/client`. */
export function clientUrlFor(peerUrl: string): string {
  const u = new URL(peerUrl);
  const scheme = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${u.host}/v1/client`;
}

/**
 * Parses `name=url,name=url`. `clientUrls` (same syntax, optional) overrides the client URL of a
 * member whose peer URL is a proxy.
 */
export function parseMembers(peers: string, clientUrls = ''): Member[] {
  const overrides = new Map(clientUrls === '' ? [] : splitPairs(clientUrls, 'client-urls'));
  const members: Member[] = [];
  const byId = new Map<NodeId, string>();
  for (const [name, url] of splitPairs(peers, 'peers')) {
    if (!isValidNodeName(name)) throw new MembersError(`peers: invalid node name ${JSON.stringify(name)}`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new MembersError(`peers: ${name} has an invalid URL ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new MembersError(`peers: ${name} URL must be http:// or https://, got ${parsed.protocol}`);
    }
    const id = nodeIdFromName(name);
    const clash = byId.get(id);
    if (clash !== undefined) {
      throw new MembersError(
        clash === name ? `peers: ${name} is listed twice` : `peers: names ${clash} and ${name} map to the same id`,
      );
    }
    byId.set(id, name);
    const peerUrl = `${parsed.protocol}//${parsed.host}`;
    members.push({ name, id, peerUrl, clientUrl: overrides.get(name) ?? clientUrlFor(peerUrl) });
  }
  if (members.length === 0) throw new MembersError('peers: at least one member is required');
  for (const name of overrides.keys()) {
    if (!members.some((m) => m.name === name)) throw new MembersError(`client-urls: ${name} is not in peers`);
  }
  return members;
}

function splitPairs(text: string, flag: string): [string, string][] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1) throw new MembersError(`${flag}: expected name=url, got ${pair}`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    });
}
