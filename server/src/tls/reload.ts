/**
 * Certificate rotation without a restart (SIGHUP, as for the token file): the client listener's
 * and the peer side's certificate, key and CA are read again from the paths given at start. New
 * connections use the new ones; connections already open keep theirs (TLS settles them at the
 * handshake). A reload that fails — a missing, unreadable or mismatched file, an expired
 * certificate — is logged and changes nothing: the old material stays in force and the node
 * keeps serving. Client and peer material are reloaded independently, each all or nothing.
 */
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from '../node/logger.js';
import {
  clientTlsMaterial,
  type PeerTlsFiles,
  type PeerTlsMaterial,
  peerTlsMaterial,
} from '../node/security-config.js';
import type { TlsFiles, TlsMaterial } from './material.js';

export interface TlsReloadOptions {
  readonly clientFiles: TlsFiles | null;
  readonly peerFiles: PeerTlsFiles | null;
  /** The HTTPS client listener (null: plaintext clients). */
  readonly clientListener: Pick<HttpsServer, 'setSecureContext'> | null;
  /** The HTTPS peer listener (null: plaintext peers). */
  readonly peerListener: Pick<HttpsServer, 'setSecureContext'> | null;
  /** Outbound peer links dial with what this was last given. */
  readonly transport: { setTls(tls: PeerTlsMaterial): void };
  readonly initialPeerTls: PeerTlsMaterial | null;
  readonly logger: Logger;
  readonly wallMs: () => number;
}

export interface TlsReloadOutcome {
  /** null: nothing to reload (no such TLS configured). */
  readonly client: boolean | null;
  readonly peer: boolean | null;
}

export class TlsReloader {
  private peerTls: PeerTlsMaterial | null;

  constructor(private readonly opts: TlsReloadOptions) {
    this.peerTls = opts.initialPeerTls;
  }

  /** What this node presents to peers now (its status probes present it too). */
  currentPeerTls(): PeerTlsMaterial | null {
    return this.peerTls;
  }

  reload(): TlsReloadOutcome {
    return { client: this.reloadClient(), peer: this.reloadPeer() };
  }

  private reloadClient(): boolean | null {
    const { clientFiles, clientListener } = this.opts;
    if (clientFiles === null || clientListener === null) return null;
    const material = this.read('client', () => clientTlsMaterial(clientFiles, this.opts.wallMs()));
    if (material === null) return false;
    clientListener.setSecureContext(contextOf(material));
    this.opts.logger.info({ cert: clientFiles.cert }, 'client TLS certificate reloaded');
    return true;
  }

  private reloadPeer(): boolean | null {
    const { peerFiles, peerListener } = this.opts;
    if (peerFiles === null) return null;
    const material = this.read('peer', () => peerTlsMaterial(peerFiles, this.opts.wallMs()));
    if (material === null) return false;
    peerListener?.setSecureContext(contextOf(material));
    this.opts.transport.setTls(material);
    this.peerTls = material;
    this.opts.logger.info({ cert: peerFiles.cert }, 'peer TLS certificate reloaded');
    return true;
  }

  private read<T>(which: 'client' | 'peer', load: () => T): T | null {
    try {
      return load();
    } catch (err) {
      this.opts.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        `${which} TLS NOT reloaded: the files are invalid; the previous certificate stays in force`,
      );
      return null;
    }
  }
}

function contextOf(m: TlsMaterial): { cert: Buffer; key: Buffer; ca?: Buffer } {
  return m.ca === null ? { cert: m.cert, key: m.key } : { cert: m.cert, key: m.key, ca: m.ca };
}
