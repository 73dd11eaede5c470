/**
 * The node's security at run time: the client gate built from the configuration, the start-up
 * lines that say plainly what is and is not protected, and the token file reload (SIGHUP).
 */
import { ClientGate } from '../api/gate.js';
import { isAllowed } from '../auth/permissions.js';
import { TokenStore } from '../auth/token-store.js';
import type { HttpAuthorizer } from '../http/routes.js';
import type { Clock } from './clock.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './logger.js';
import { readTokenFile } from './security-config.js';

export interface ClientSecurity {
  readonly gate: ClientGate;
  /** HTTP routes that show cluster state: with auth on, a valid token with `read` on some prefix. */
  readonly authorizeHttp: HttpAuthorizer;
  /** Re-reads --auth-tokens; a bad file changes nothing. True when the new tokens are in force. */
  reloadAuthTokens(): boolean;
}

export function createClientSecurity(config: ServerConfig, clock: Clock, logger: Logger): ClientSecurity {
  const { security } = config;
  const tokens = security.authTokens === null ? null : new TokenStore(security.authTokens);
  const gate = new ClientGate({
    tokens,
    limits: security.clientLimits,
    clock,
    logger: logger.child({ component: 'auth' }),
  });
  return {
    gate,
    authorizeHttp: (req) => {
      if (tokens === null) return true;
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (m === null) return false;
      const outcome = tokens.authenticate(m[1], clock.wallMs());
      return outcome.ok && isAllowed(outcome.credential.identity, 'read', null);
    },
    reloadAuthTokens: () => {
      if (tokens === null || security.authTokensFile === null) {
        logger.info('token reload asked, but auth is off (no --auth-tokens): nothing to reload');
        return false;
      }
      try {
        tokens.replace(readTokenFile(security.authTokensFile));
      } catch (err) {
        logger.error(
          { err: err instanceof Error ? err.message : String(err) },
          'auth tokens NOT reloaded: the file is invalid; the previous tokens stay in force',
        );
        return false;
      }
      logger.info({ tokens: tokens.size }, 'auth tokens reloaded');
      return true;
    },
  };
}

/** Says at start, loudly when it matters, what this node protects and what it does not. */
export function logSecurityPosture(config: ServerConfig, logger: Logger): void {
  const { security, dev } = config;
  const auth = security.authTokens !== null;
  const clientTls = security.clientTls !== null;
  if (!auth) {
    logger.warn(
      { auth: 'off', dev },
      dev
        ? 'AUTH OFF (--dev): any client may do anything; for local development only'
        : 'AUTH OFF: any client may do anything; give --auth-tokens FILE to require tokens',
    );
  } else {
    logger.info({ auth: 'on', tokens: security.authTokens?.entries.length }, 'auth on: clients need a token');
  }
  if (auth && !clientTls && !dev) {
    logger.warn(
      { clientTls: false },
      'client listener is plaintext (ws://): tokens cross the network in the clear; give --tls-cert and --tls-key',
    );
  }
  if (security.peerTls === null && config.peerSecret === null && config.members.length > 1 && !dev) {
    logger.warn(
      { peerTls: false, peerSecretSet: false },
      'peers are not authenticated: give --peer-tls-cert/--peer-tls-key/--peer-tls-ca or --peer-secret',
    );
  }
  logger.info(
    {
      clientTls,
      clientCertificates: security.clientTls?.ca != null,
      peerTls: security.peerTls !== null,
      peerListen: security.peerListen === null ? null : `${security.peerListen.host}:${security.peerListen.port}`,
      limits: security.clientLimits,
    },
    'security settings',
  );
}
