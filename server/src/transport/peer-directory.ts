/**
 * The peer set: Raft ids ↔ node names ↔ endpoints. The node hands over the whole set (its own
 * mapping of names to ids); the transport only looks names and ids up, both ways.
 */
import { isValidPeerName } from '@baton/proto-schemas';
import type { NodeId } from '../raft/types.js';
import { TransportConfigError } from './errors.js';
import type { PeerAddress } from './types.js';

/** Where the node's HTTP server routes peer WebSocket upgrades (DESIGN §7). */
export const PEER_PATH = '/v1/peer';

export interface PeerEntry {
  readonly id: NodeId;
  readonly name: string;
  readonly url: string;
  /** `<url>/v1/peer` with a ws: or wss: scheme. */
  readonly endpoint: string;
}

export interface PeerSetChange {
  readonly added: readonly PeerEntry[];
  readonly removed: readonly PeerEntry[];
  /** Same id and name, another URL: the outbound link must redial. */
  readonly moved: readonly PeerEntry[];
}

function invalid(message: string): never {
  throw new TransportConfigError('INVALID_PEERS', message);
}

/** `http://host:port[/prefix]` → `ws://host:port[/prefix]/v1/peer`. */
export function peerEndpoint(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    invalid(`peer URL ${JSON.stringify(baseUrl)} does not parse`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    invalid(`peer URL ${JSON.stringify(baseUrl)} must be http(s) or ws(s)`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    invalid(`peer URL ${JSON.stringify(baseUrl)} must be a plain base URL (no query, fragment or credentials)`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${PEER_PATH}`;
  return url.toString();
}

export class PeerDirectory {
  private readonly ids = new Map<NodeId, PeerEntry>();
  private readonly names = new Map<string, PeerEntry>();

  constructor(
    private readonly selfId: NodeId,
    private readonly selfName: string,
  ) {}

  byId(id: NodeId): PeerEntry | undefined {
    return this.ids.get(id);
  }

  byName(name: string): PeerEntry | undefined {
    return this.names.get(name);
  }

  entries(): IterableIterator<PeerEntry> {
    return this.ids.values();
  }

  /** Replaces the set (this node's own entry is checked and left out). Throws on a bad set, changing nothing. */
  replace(peers: ReadonlyMap<NodeId, PeerAddress>): PeerSetChange {
    const next = new Map<NodeId, PeerEntry>();
    const names = new Map<string, PeerEntry>();
    for (const [id, address] of peers) {
      if (!Number.isSafeInteger(id) || id < 1) invalid(`peer id ${id} must be a positive integer`);
      if (!isValidPeerName(address.name)) invalid(`peer name ${JSON.stringify(address.name)} is not a valid node name`);
      if (id === this.selfId) {
        if (address.name !== this.selfName) {
          invalid(`id ${id} is this node, named ${this.selfName}, not ${address.name}`);
        }
        continue;
      }
      if (address.name === this.selfName) invalid(`peer ${id} has this node's name ${this.selfName}`);
      if (names.has(address.name)) invalid(`two peers are named ${address.name}`);
      const entry: PeerEntry = { id, name: address.name, url: address.url, endpoint: peerEndpoint(address.url) };
      next.set(id, entry);
      names.set(entry.name, entry);
    }
    const added: PeerEntry[] = [];
    const removed: PeerEntry[] = [];
    const moved: PeerEntry[] = [];
    for (const [id, old] of this.ids) {
      const now = next.get(id);
      if (now === undefined || now.name !== old.name) removed.push(old);
      else if (now.endpoint !== old.endpoint) moved.push(now);
    }
    for (const [id, now] of next) {
      const old = this.ids.get(id);
      if (old === undefined || old.name !== now.name) added.push(now);
    }
    this.ids.clear();
    this.names.clear();
    for (const [id, entry] of next) this.ids.set(id, entry);
    for (const [name, entry] of names) this.names.set(name, entry);
    return { added, removed, moved };
  }
}
