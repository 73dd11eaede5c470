/**
 * One Baton node, assembled: data directory → storage, Raft loop + state machine + session
 * leases (Coordinator), the peer transport, the client API, metrics, and one HTTP server whose
 * upgrades are routed by path (`/v1/client`, `/v1/peer`) and whose plain requests go to
 * http/node-routes.ts (status page, `/metrics`, `/healthz`, `/readyz`, `/v1/status`).
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { AdminApi } from '../admin/admin-api.js';
import { handOffLeadership } from '../admin/handoff.js';
import { encodeMemberContext } from '../admin/member-context.js';
import { MemberRegistry } from '../admin/member-registry.js';
import { REMOVAL_PROBE_ELECTION_TIMEOUTS, type Removal, RemovalWatcher } from '../admin/removal.js';
import { ClientApi } from '../api/client-api.js';
import { MEMBER_STATUS_TIMEOUT_MS, nodeRoutes, peerListenerRoutes } from '../http/node-routes.js';
import { fetchPeerStatus } from '../http/peer-status-fetch.js';
import { createHttpHandler } from '../http/routes.js';
import { apiObserver, bindNodeMetrics } from '../metrics/bind.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import { bootstrapLog } from '../raft/confchange.js';
import type { Rng } from '../raft/config.js';
import { DiskStorage } from '../storage/disk-storage.js';
import { createClientListener, createPeerListener } from '../tls/listeners.js';
import { TlsReloader, type TlsReloadOutcome } from '../tls/reload.js';
import { WsTransport } from '../transport/ws-transport.js';
import { type Clock, systemClock } from './clock.js';
import type { ServerConfig } from './config.js';
import { Coordinator } from './coordinator.js';
import { createLogger, type Logger } from './logger.js';
import type { Member } from './members.js';
import type { NodeStorage } from './node-storage.js';
import { createClientSecurity, logSecurityPosture } from './security-runtime.js';
import { storageTestHooks } from './test-hooks.js';

export const SERVER_VERSION = '0.1.0';

/** Randomized election timeouts come from the OS generator: they need no replay outside the simulator. */
const cryptoRng: Rng = { nextInt: (min, max) => (max - min <= 1 ? min : randomInt(min, max)) };

export interface RunningServer {
  readonly config: ServerConfig;
  readonly coordinator: Coordinator;
  readonly port: number;
  /** The peer listener's port (--peer-listen), or null when peers use the client port. */
  readonly peerPort: number | null;
  readonly self: Member;
  /** Re-reads the --auth-tokens file (SIGHUP); a bad file changes nothing. True when reloaded. */
  reloadAuthTokens(): boolean;
  /** Re-reads the client and peer TLS files (SIGHUP) for new connections; bad files change nothing. */
  reloadTls(): TlsReloadOutcome;
  /** Resolves if this node is removed from the cluster: exit (EXIT_REMOVED) after a short grace. */
  readonly removed: Promise<Removal>;
  /** Transfers leadership if leading, closes clients and peers, stops the loop, closes storage. */
  close(): Promise<void>;
  /** Resolves when the node stopped on its own (storage failure): exit and recover from disk. */
  readonly fatal: Promise<Error>;
}

export async function startServer(
  config: ServerConfig,
  deps: { logger?: Logger; clock?: Clock } = {},
): Promise<RunningServer> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel, nodeName: config.name });
  const clock = deps.clock ?? systemClock;
  const self = config.members.find((m) => m.name === config.name);
  if (self === undefined) throw new Error(`node ${config.name} is not a member`);

  const metrics = new NodeMetrics({ nodeName: config.name });
  const { storage, info } = await DiskStorage.open(config.dataDir, {
    ...storageTestHooks(process.env, logger),
    onWalSync: (durationMs, bytes) => metrics.fsyncDone(durationMs, bytes),
  });
  logger.child({ component: 'storage' }).info({ dataDir: config.dataDir, ...summarize(info) }, 'storage recovered');
  if (config.initialClusterState === 'new') await bootstrapIfEmpty(storage, config.members, logger);
  else if (isEmpty(storage)) {
    logger.info('joining an existing cluster: waiting for the leader to send the log (baton members add first)');
  }
  // members added at run time are known from the replicated directory; the flags route the rest
  const registry = new MemberRegistry(config.members);

  const transport = new WsTransport({
    selfName: self.name,
    selfId: self.id,
    clusterId: config.clusterId,
    ...(config.peerSecret === null ? {} : { peerSecret: config.peerSecret }),
    ...(config.security.peerTls === null ? {} : { tls: config.security.peerTls }),
    logger: logger.child({ component: 'transport' }),
  });
  const syncPeers = (): void => {
    const peers = registry.known().filter((m) => m.id !== self.id && m.peerUrl !== '');
    try {
      transport.setPeers(new Map(peers.map((m) => [m.id, { name: m.name, url: m.peerUrl }])));
    } catch (err) {
      logger.error({ err }, 'member directory refused by the transport; keeping the previous peers');
    }
  };
  syncPeers();
  registry.onChange(syncPeers);

  const coordinator = new Coordinator({
    id: self.id,
    storage,
    transport,
    clock,
    rng: cryptoRng,
    logger: logger.child({ component: 'raft' }),
    tickMs: config.tickMs,
    electionTimeoutTicks: config.electionTimeoutTicks,
    electionJitterTicks: config.electionJitterTicks,
    heartbeatTicks: config.heartbeatTicks,
    snapshotEveryEntries: config.snapshotEveryEntries,
    readTimeoutMs: config.tickMs * config.electionTimeoutTicks * 2,
    members: registry,
  });
  const security = createClientSecurity(config, clock, logger);
  const timing = { tickMs: config.tickMs, electionTimeoutTicks: config.electionTimeoutTicks };
  const admin = new AdminApi({
    coordinator,
    registry,
    clock,
    logger: logger.child({ component: 'admin' }),
    ...timing,
  });
  const members = (): Member[] => registry.members(coordinator.node.status().confState);
  const api = new ClientApi({
    gate: security.gate,
    coordinator,
    members,
    admin,
    self,
    serverVersion: SERVER_VERSION,
    clock,
    logger: logger.child({ component: 'api' }),
    observer: apiObserver(metrics),
  });
  bindNodeMetrics(metrics, { coordinator, transport, clientConnections: () => api.connectionCount });

  let resolveFatal: (err: Error) => void = () => {};
  const fatal = new Promise<Error>((r) => {
    resolveFatal = r;
  });
  coordinator.node.onFatal((err) => resolveFatal(err));

  // the peer side's certificate can change (SIGHUP); the probes ask for it when they dial
  let tls: TlsReloader | null = null;
  const peerTls = () => tls?.currentPeerTls() ?? config.security.peerTls;
  const removal = new RemovalWatcher({
    node: coordinator.node,
    self,
    clusterId: config.clusterId,
    peers: () => registry.known().filter((m) => m.id !== self.id && m.peerUrl !== ''),
    fetchStatus: (m) => fetchPeerStatus(m.peerUrl, peerTls(), MEMBER_STATUS_TIMEOUT_MS),
    monotonicMs: () => clock.monotonicMs(),
    logger: logger.child({ component: 'admin' }),
    leaderlessMs: REMOVAL_PROBE_ELECTION_TIMEOUTS * timing.tickMs * timing.electionTimeoutTicks,
    probeEveryMs: REMOVAL_PROBE_ELECTION_TIMEOUTS * timing.tickMs * timing.electionTimeoutTicks,
  });
  const removed = new Promise<Removal>((resolve) => removal.onRemoved(resolve));
  const httpLogger = logger.child({ component: 'http' });
  const routes = nodeRoutes({
    coordinator,
    members,
    self,
    metrics,
    clock,
    storageFailed: () => storage.failed,
    readyCatchUpMs: config.tickMs * config.electionTimeoutTicks,
    removed: () => removal.removed?.reason ?? null,
    peerTls,
    clusterId: config.clusterId,
  });
  const http = createClientListener(config.security.clientTls, logger);
  http.on('request', createHttpHandler(routes, httpLogger, security.authorizeHttp));
  const peerListener =
    config.security.peerListen === null
      ? null
      : createPeerListener(
          config.security.peerTls,
          transport,
          logger,
          createHttpHandler(peerListenerRoutes(routes), httpLogger),
        );
  tls = new TlsReloader({
    clientFiles: config.security.clientTlsFiles,
    peerFiles: config.security.peerTlsFiles,
    // with TLS these are HTTPS servers (tls/listeners.ts)
    clientListener: config.security.clientTls === null ? null : (http as unknown as HttpsServer),
    peerListener: config.security.peerTls === null ? null : (peerListener as unknown as HttpsServer | null),
    transport,
    initialPeerTls: config.security.peerTls,
    logger: logger.child({ component: 'tls' }),
    wallMs: () => clock.wallMs(),
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    // with a peer listener, peers never come in through the client port (it may lack mutual TLS)
    if (path === '/v1/peer' && peerListener === null) transport.handleUpgrade(req, socket, head);
    else if (path === '/v1/client') api.handleUpgrade(req, socket, head);
    else {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    }
  });
  await listen(http, config.listenHost, config.listenPort);
  const port = (http.address() as AddressInfo).port;
  let peerPort: number | null = null;
  if (peerListener !== null && config.security.peerListen !== null) {
    await listen(peerListener, config.security.peerListen.host, config.security.peerListen.port);
    peerPort = (peerListener.address() as AddressInfo).port;
  }
  coordinator.start();
  logger.info(
    { listen: `${config.listenHost}:${port}`, members: members().map((m) => m.name), clientUrl: self.clientUrl },
    'baton node started',
  );
  logSecurityPosture(config, logger);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await handOffLeadership(coordinator, timing, logger.child({ component: 'admin' }));
      await api.close();
      admin.close();
      await coordinator.stop();
      await transport.close();
      await new Promise<void>((r) => http.close(() => r()));
      http.closeAllConnections();
      if (peerListener !== null) {
        await new Promise<void>((r) => peerListener.close(() => r()));
        peerListener.closeAllConnections();
      }
      await storage.close();
      logger.info('baton node stopped');
    })();
    return closing;
  };
  const tlsReloader = tls;
  return {
    config,
    coordinator,
    port,
    peerPort,
    self,
    close,
    fatal,
    removed,
    reloadAuthTokens: security.reloadAuthTokens,
    reloadTls: () => tlsReloader.reload(),
  };
}

function isEmpty(storage: NodeStorage): boolean {
  const { hardState } = storage.initialState();
  return storage.lastIndex() === 0 && hardState.term === 0 && storage.snapshot().metadata.index === 0;
}

/**
 * A brand-new data directory starts from the configuration in the log (raft/README.md); each
 * entry carries its member's name and addresses, so members added later learn them too.
 */
async function bootstrapIfEmpty(storage: NodeStorage, members: readonly Member[], logger: Logger): Promise<void> {
  if (!isEmpty(storage)) return;
  const boot = bootstrapLog(
    members.map((m) => m.id),
    new Map(members.map((m) => [m.id, encodeMemberContext(m)])),
  );
  await storage.persist({ entries: boot.entries, hardState: boot.hardState, snapshot: null });
  logger.info({ voters: members.map((m) => m.name) }, 'new cluster: initial configuration written');
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function summarize(info: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info)) out[k] = v;
  return out;
}
