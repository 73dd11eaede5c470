/**
 * One Baton node, assembled: data directory → storage, Raft loop + state machine + session
 * leases (Coordinator), the peer transport, the client API, and one HTTP server whose upgrades
 * are routed by path (`/v1/client`, `/v1/peer`) and which answers `/healthz` and `/readyz`.
 */
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { AdminApi } from '../admin/admin-api.js';
import { handOffLeadership } from '../admin/handoff.js';
import { encodeMemberContext } from '../admin/member-context.js';
import { MemberRegistry } from '../admin/member-registry.js';
import { ClientApi } from '../api/client-api.js';
import { bootstrapLog } from '../raft/confchange.js';
import type { Rng } from '../raft/config.js';
import { DiskStorage } from '../storage/disk-storage.js';
import { WsTransport } from '../transport/ws-transport.js';
import { type Clock, systemClock } from './clock.js';
import type { ServerConfig } from './config.js';
import { Coordinator } from './coordinator.js';
import { createLogger, type Logger } from './logger.js';
import type { Member } from './members.js';
import type { NodeStorage } from './node-storage.js';

export const SERVER_VERSION = '0.1.0';

/** Randomized election timeouts come from the OS generator: they need no replay outside the simulator. */
const cryptoRng: Rng = { nextInt: (min, max) => (max - min <= 1 ? min : randomInt(min, max)) };

export interface RunningServer {
  readonly config: ServerConfig;
  readonly coordinator: Coordinator;
  readonly port: number;
  readonly self: Member;
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

  const { storage, info } = await DiskStorage.open(config.dataDir);
  logger.info({ dataDir: config.dataDir, ...summarize(info) }, 'storage recovered');
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
    heartbeatTicks: config.heartbeatTicks,
    snapshotEveryEntries: config.snapshotEveryEntries,
    readTimeoutMs: config.tickMs * config.electionTimeoutTicks * 2,
    members: registry,
  });
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
    coordinator,
    members,
    admin,
    self,
    serverVersion: SERVER_VERSION,
    clock,
    logger: logger.child({ component: 'api' }),
  });

  let resolveFatal: (err: Error) => void = () => {};
  const fatal = new Promise<Error>((r) => {
    resolveFatal = r;
  });
  coordinator.node.onFatal((err) => resolveFatal(err));

  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const leader = coordinator.leaderId;
      const ready = leader !== 0 && storage.failed === null;
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'no leader\n');
      return;
    }
    if (path === '/v1/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(nodeStatus())}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  /** The node's own view (not linearizable): for humans, scripts and `npm start`. */
  function nodeStatus(): Record<string, unknown> {
    const st = coordinator.node.status();
    const leader = registry.get(st.softState.lead);
    return {
      name: self?.name,
      role: st.softState.role,
      leader: leader?.name ?? null,
      leaderClientUrl: leader?.clientUrl ?? null,
      term: st.hardState.term,
      commitIndex: st.hardState.commit,
      appliedIndex: st.appliedIndex,
      members: members().map((m) => ({
        name: m.name,
        clientUrl: m.clientUrl,
        role: st.confState.learners.includes(m.id) ? 'learner' : 'voter',
      })),
    };
  }
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/v1/peer') transport.handleUpgrade(req, socket, head);
    else if (path === '/v1/client') api.handleUpgrade(req, socket, head);
    else {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    }
  });
  await listen(http, config.listenHost, config.listenPort);
  const port = (http.address() as AddressInfo).port;
  coordinator.start();
  logger.info(
    { listen: `${config.listenHost}:${port}`, members: members().map((m) => m.name), clientUrl: self.clientUrl },
    'baton node started',
  );

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
      await storage.close();
      logger.info('baton node stopped');
    })();
    return closing;
  };
  return { config, coordinator, port, self, close, fatal };
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
