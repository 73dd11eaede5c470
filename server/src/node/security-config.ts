/**
 * baton-server's security flags: TLS for clients, mutual TLS for peers on their own listener,
 * the token file, and per-client limits. Parsed with the other flags (config.ts: flag, then
 * BATON_* variable, then --config key); every problem is a ConfigError naming the flag.
 *
 * TLS means two listeners, as in etcd (client URLs and peer URLs): `--listen` serves clients
 * (`/v1/client`, HTTP endpoints), `--peer-listen` serves `/v1/peer` only, each with its own
 * certificate and CA. One listener cannot do both cleanly: client and peer settings differ (a
 * plaintext or server-only-TLS client port next to a mutual-TLS peer port), and a peer must not be
 * able to bypass mutual TLS through the client port. Without TLS one listener still serves both.
 */
import { LIMITS } from '@baton/proto-schemas';
import { loadTokenFile, TokenFileError, type TokenTable } from '../auth/token-file.js';
import { type ClientLimits, DEFAULT_CLIENT_LIMITS } from '../limits/client-limits.js';
import { loadTlsMaterial, type TlsFiles, type TlsMaterial } from '../tls/material.js';
import { ConfigError, parseHostPort, parseIntValue } from './config-error.js';
import { clientUrlFor, type Member } from './members.js';

export const SECURITY_FLAGS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'peer-listen': { type: 'string' },
  'peer-tls-cert': { type: 'string' },
  'peer-tls-key': { type: 'string' },
  'peer-tls-ca': { type: 'string' },
  'auth-tokens': { type: 'string' },
  'rate-limit': { type: 'string' },
  'identity-rate-limit': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
  'max-sessions-per-identity': { type: 'string' },
  'max-waits-per-identity': { type: 'string' },
} as const;

export type SecurityFlag = keyof typeof SECURITY_FLAGS;

export const SECURITY_USAGE = `
security (see README "Security"):
  --tls-cert FILE        serve clients over TLS (wss://) with this certificate (PEM)...
  --tls-key FILE         ...and its private key
  --tls-ca FILE          also require client certificates signed by this CA
  --peer-listen HOST:PORT  a separate listener for peers (/v1/peer); required with TLS
  --peer-tls-cert FILE   mutual TLS between peers: this node's certificate (server and client)...
  --peer-tls-key FILE    ...its key...
  --peer-tls-ca FILE     ...and the CA every peer's certificate must be signed by
  --auth-tokens FILE     client bearer tokens with permissions (JSON); auth is off without it;
                         SIGHUP reloads it
  --rate-limit N         requests/s per client connection, 0 = off (default ${LIMITS.requestsPerSecondPerConnection})
  --identity-rate-limit N  requests/s per token name on this node, 0 = off (default ${LIMITS.requestsPerSecondPerIdentity})
  --max-connections-per-address N  client connections per remote address (default ${LIMITS.maxConnectionsPerAddress})
  --max-sessions-per-identity N    sessions per token name on this node (default ${LIMITS.maxSessionsPerIdentity})
  --max-waits-per-identity N       pending acquires/campaigns per token name (default ${LIMITS.maxWaitsPerIdentity})
`;

export interface PeerTlsMaterial extends TlsMaterial {
  readonly ca: Buffer;
}

export interface SecurityConfig {
  /** null: clients connect over plaintext ws://. */
  readonly clientTls: TlsMaterial | null;
  /** Where clientTls and peerTls came from: a SIGHUP reads them again (tls/reload.ts). */
  readonly clientTlsFiles: TlsFiles | null;
  readonly peerTlsFiles: PeerTlsFiles | null;
  /** null: peers connect over plaintext (the HMAC handshake still applies with --peer-secret). */
  readonly peerTls: PeerTlsMaterial | null;
  /** null: peers use the client listener. */
  readonly peerListen: { readonly host: string; readonly port: number } | null;
  /** null: auth is off. */
  readonly authTokensFile: string | null;
  readonly authTokens: TokenTable | null;
  readonly clientLimits: ClientLimits;
}

/** The same as plaintext defaults everywhere: what tests and embedders get without flags. */
export const INSECURE_DEFAULTS: SecurityConfig = Object.freeze({
  clientTls: null,
  clientTlsFiles: null,
  peerTls: null,
  peerTlsFiles: null,
  peerListen: null,
  authTokensFile: null,
  authTokens: null,
  clientLimits: DEFAULT_CLIENT_LIMITS,
});

export function parseSecurityConfig(
  get: (flag: SecurityFlag) => string | undefined,
  members: readonly Member[],
  nowMs: number,
): SecurityConfig {
  // the cheap, structural checks first; the files are read once the flags make sense together
  const clientFiles = clientTlsFiles(get);
  const peerFiles = peerTlsFiles(get);
  const peerListenText = get('peer-listen');
  const peerListen = peerListenText === undefined ? null : parseHostPort(peerListenText, 'peer-listen');
  if ((clientFiles !== null || peerFiles !== null) && peerListen === null) {
    throw new ConfigError(
      'peer-listen',
      'required with TLS: clients (--listen) and peers (--peer-listen) get separate listeners, each with its own certificates',
    );
  }
  checkUrls(members, clientFiles !== null, peerFiles !== null, peerListen !== null);
  const authTokensFile = get('auth-tokens') ?? null;
  const limit = (flag: SecurityFlag, fallback: number, min: number, max: number): number =>
    parseIntValue(get(flag), flag, fallback, min, max);
  const defaults = DEFAULT_CLIENT_LIMITS;
  return {
    clientTls: clientFiles === null ? null : clientTlsMaterial(clientFiles, nowMs),
    clientTlsFiles: clientFiles,
    peerTls: peerFiles === null ? null : peerTlsMaterial(peerFiles, nowMs),
    peerTlsFiles: peerFiles,
    peerListen,
    authTokensFile,
    authTokens: authTokensFile === null ? null : readTokenFile(authTokensFile),
    clientLimits: {
      requestsPerSecondPerConnection: limit('rate-limit', defaults.requestsPerSecondPerConnection, 0, 10_000_000),
      requestsPerSecondPerIdentity: limit('identity-rate-limit', defaults.requestsPerSecondPerIdentity, 0, 10_000_000),
      maxConnectionsPerAddress: limit('max-connections-per-address', defaults.maxConnectionsPerAddress, 1, 1_000_000),
      maxSessionsPerIdentity: limit(
        'max-sessions-per-identity',
        defaults.maxSessionsPerIdentity,
        1,
        LIMITS.maxSessions,
      ),
      maxWaitsPerIdentity: limit('max-waits-per-identity', defaults.maxWaitsPerIdentity, 1, 1_000_000),
    },
  };
}

/** Peer and client URLs that fit the listeners: a wrong scheme would only show as failed connections later. */
function checkUrls(members: readonly Member[], clientTls: boolean, peerTls: boolean, peerListen: boolean): void {
  for (const m of members) {
    const https = m.peerUrl.startsWith('https:');
    if (peerTls && !https) {
      throw new ConfigError('peers', `${m.name}: with --peer-tls-* every peer URL must be https://`);
    }
    if (!peerTls && https) {
      throw new ConfigError(
        'peers',
        `${m.name}: an https:// peer URL needs --peer-tls-cert, --peer-tls-key and --peer-tls-ca`,
      );
    }
    if (peerListen && m.clientUrl === clientUrlFor(m.peerUrl)) {
      throw new ConfigError(
        'client-urls',
        `with --peer-listen, name every member's client URL (${m.name}=${clientTls ? 'wss' : 'ws'}://host:port/v1/client)`,
      );
    }
    if (clientTls && !m.clientUrl.startsWith('wss:')) {
      throw new ConfigError('client-urls', `${m.name}: with --tls-cert every client URL must be wss://`);
    }
  }
}

/** Reads the token file for start-up or a reload. Throws ConfigError naming the file's key at fault. */
export function readTokenFile(path: string): TokenTable {
  try {
    return loadTokenFile(path);
  } catch (err) {
    if (err instanceof TokenFileError) throw new ConfigError('auth-tokens', `${path}: ${err.message}`);
    throw err;
  }
}

function clientTlsFiles(get: (flag: SecurityFlag) => string | undefined): TlsFiles | null {
  const cert = get('tls-cert');
  const key = get('tls-key');
  const ca = get('tls-ca');
  if (cert === undefined && key === undefined) {
    if (ca !== undefined) {
      throw new ConfigError('tls-ca', 'needs --tls-cert and --tls-key (client certificates need TLS)');
    }
    return null;
  }
  if (cert === undefined) throw new ConfigError('tls-cert', 'required with --tls-key');
  if (key === undefined) throw new ConfigError('tls-key', 'required with --tls-cert');
  return { cert, key, ca };
}

export type PeerTlsFiles = TlsFiles & { readonly ca: string };

function peerTlsFiles(get: (flag: SecurityFlag) => string | undefined): PeerTlsFiles | null {
  const cert = get('peer-tls-cert');
  const key = get('peer-tls-key');
  const ca = get('peer-tls-ca');
  if (cert === undefined && key === undefined && ca === undefined) return null;
  const mutual = 'peer TLS is mutual: give --peer-tls-cert, --peer-tls-key and --peer-tls-ca';
  if (cert === undefined) throw new ConfigError('peer-tls-cert', mutual);
  if (key === undefined) throw new ConfigError('peer-tls-key', mutual);
  if (ca === undefined) throw new ConfigError('peer-tls-ca', mutual);
  return { cert, key, ca };
}

/** Reads and checks the client listener's files (at start, and on a reload). Throws ConfigError. */
export function clientTlsMaterial(files: TlsFiles, nowMs: number): TlsMaterial {
  return loadTlsMaterial(files, { cert: 'tls-cert', key: 'tls-key', ca: 'tls-ca' }, nowMs);
}

/** Reads and checks the peer files (at start, and on a reload). Throws ConfigError. */
export function peerTlsMaterial(files: PeerTlsFiles, nowMs: number): PeerTlsMaterial {
  const material = loadTlsMaterial(files, { cert: 'peer-tls-cert', key: 'peer-tls-key', ca: 'peer-tls-ca' }, nowMs);
  return { ...material, ca: material.ca ?? Buffer.alloc(0) };
}
