/**
 * The client worker process (forked by the harness, SIGSTOPped by the nemesis): one BatonClient,
 * its lanes, the wire tap, and the IPC plumbing. Tasks arrive as messages; every record goes
 * back the moment it exists, so a worker that is paused or dies loses nothing already done.
 */
import { BatonClient } from '@baton/sdk';
import { runClock } from '../clock.js';
import { Lane } from './lane.js';
import {
  type FromWorker,
  type HistoryRecord,
  laneClient,
  laneProcess,
  type StoreOp,
  type StoreReply,
  type ToWorker,
  type WorkerInit,
} from './protocol.js';
import { monitorStalls } from './stall-monitor.js';
import { WireRecorder } from './wire-recorder.js';
import { installWireTap } from './wire-tap.js';

/** How long the client waits for a connection and for an answer: short, so faults show quickly. */
const CONNECT_TIMEOUT_MS = 1_000;
const HEARTBEAT_INTERVAL_MS = 1_000;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

export function runWorker(): void {
  let started = false;
  process.on('message', (raw: unknown) => {
    const msg = raw as ToWorker;
    if (msg.t === 'init' && !started) {
      started = true;
      void start(msg.init).catch((err: unknown) => {
        send({ t: 'problem', kind: 'workerStart', message: String(err), atMs: 0 });
        process.exit(1);
      });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

async function start(init: WorkerInit): Promise<void> {
  const now = runClock(init.originMs);
  const nodeOf = (url: string | null): string | undefined => (url === null ? undefined : init.nodeNames[url]);
  const owners = new Map<string, string>();
  const emit = (rec: HistoryRecord): void => send({ t: 'op', rec });
  const recorder = new WireRecorder({
    now,
    emit,
    nodeOf,
    clientOf: (s) => owners.get(s),
    fallbackClient: `w${init.workerId}.sdk`,
  });
  installWireTap(recorder);
  monitorStalls(now, (startMs, endMs) => send({ t: 'stall', startMs, endMs }));
  process.on('unhandledRejection', (err) => {
    send({ t: 'problem', kind: 'unhandledRejection', message: String(err), atMs: now() });
  });

  const client = await BatonClient.connect({
    endpoints: init.endpoints,
    requestTimeoutMs: init.requestTimeoutMs,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    reconnectBackoff: { initialMs: 50, maxMs: 500 },
    clientId: `chaos-w${init.workerId}-${process.pid}`,
  });

  let nextStoreReq = 0;
  const storeWaiters = new Map<number, (r: StoreReply) => void>();
  const lanes: Lane[] = [];
  for (let l = 0; l < init.lanes; l++) {
    const clientName = laneClient(init.workerId, l);
    const proc = laneProcess(init.workerId, l);
    lanes.push(
      new Lane(clientName, proc, {
        client,
        recorder,
        now,
        emit,
        reportHold: (hold) => send({ t: 'hold', hold }),
        store: (op: StoreOp, name, token, value) =>
          new Promise<StoreReply>((resolve) => {
            const reqId = ++nextStoreReq;
            storeWaiters.set(reqId, resolve);
            send({ t: 'store', reqId, client: clientName, process: proc, op, name, token, value });
          }),
        nodeOf,
        ttlMs: init.ttlMs,
        owners,
      }),
    );
  }

  process.on('message', (raw: unknown) => {
    const msg = raw as ToWorker;
    switch (msg.t) {
      case 'task': {
        const lane = lanes[msg.lane];
        if (lane === undefined) return;
        lane.run(msg.task).then(
          (outcome) => send({ t: 'taskDone', lane: msg.lane, taskId: msg.taskId, outcome }),
          (err: unknown) =>
            send({ t: 'taskDone', lane: msg.lane, taskId: msg.taskId, outcome: 'failed', detail: String(err) }),
        );
        return;
      }
      case 'storeReply': {
        const resolve = storeWaiters.get(msg.reqId);
        storeWaiters.delete(msg.reqId);
        resolve?.(msg.reply);
        return;
      }
      case 'finish':
        void finish(lanes, client, recorder);
        return;
      default:
        return;
    }
  });
  send({ t: 'ready' });
}

async function finish(lanes: readonly Lane[], client: BatonClient, recorder: WireRecorder): Promise<void> {
  await Promise.all(lanes.map((l) => l.closeSession()));
  await client.close().catch(() => {});
  for (const session of recorder.flush()) send({ t: 'session', session });
  send({ t: 'finished' });
}
