/**
 * How long the bare minimum of a replicated commit takes on this machine: three Node.js processes
 * (a "leader" and two "followers") and this one as the client, over loopback TCP, each server
 * making one durable write (O_DSYNC, through the thread pool, as the Baton WAL does) per request.
 * The leader forwards the request to both followers and starts its own write; it answers the
 * client once its write and one follower's (a quorum of three) are done. No consensus, no state
 * machine, no encoding: only the wake-ups, system calls and writes that any replicated commit
 * between processes on this machine pays.
 *
 * Workload 1 at one worker, workload 4 and every handoff of workload 2 wait for at least one such
 * commit, so this number says how far apart the targets and this machine are: a p50 ≤ 1 ms target
 * cannot be met where this floor is well above 1 ms. Measured back to back (workload 1 at one
 * worker) and after a short pause (workload 4 pauses between rounds; an idle process and disk wake
 * slower), right before each system runs: the machine's speed drifts by tens of percent within one
 * run, so a system is compared with the floor of the same minutes.
 */
import { mkdtemp } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SYSTEM_LABELS, SYSTEM_NAMES, type SystemName } from '../clients/lock-client.js';
import { removeDir, trackDir } from './cleanup.js';
import { median } from './disk-floor.js';
import { ManagedProcess } from './managed-process.js';

/** Every message has this size: the streams need no framing beyond counting bytes. */
const MESSAGE_BYTES = 64;
/** A child that has not said its port by then is taken as failed; its output is looked at this often. */
const START_TIMEOUT_MS = 10_000;
const START_POLL_MS = 5;
/** One round trip that takes longer than this means a child is gone: the probe gives up. */
const ROUND_TIMEOUT_MS = 5_000;

/** The probe's files are zero-filled to this size first: its writes then never grow a file. */
const PREALLOCATED_BYTES = 1024 * 1024;

/**
 * The server side, run with `node -e` so that it needs nothing but Node itself (the probe is part
 * of a bundled CLI; a separate script would have to be found next to it). Plain CommonJS: argv is
 * [role, file, ...follower ports]; it prints `port <n>` once it listens.
 *
 * Made as fast as a commit between processes can be, so that it is a floor and not a strawman:
 * the log file is zero-filled and synced first (as etcd and ZooKeeper preallocate theirs), so no
 * write changes a file's size; a follower writes synchronously (no thread-pool round trip before
 * it echoes); the leader writes through the thread pool (it stays free to read the acks) and
 * answers once any two of the three writes are done.
 */
const NODE_SOURCE = `
const fs = require('node:fs'), net = require('node:net');
const [role, file, ...peerPorts] = process.argv.slice(1);
const M = ${MESSAGE_BYTES};
const die = (err) => { console.error(String((err && err.stack) || err)); process.exit(1); };
const zeros = Buffer.alloc(${PREALLOCATED_BYTES});
fs.writeFileSync(file, zeros, { mode: 0o600 });
const dsync = fs.constants.O_DSYNC;
const fd = fs.openSync(file, fs.constants.O_WRONLY | (dsync === undefined ? 0 : dsync));
fs.fdatasyncSync(fd);
const record = Buffer.alloc(128, 0x5a);
let position = 0;
const next = () => { const at = position; position = (position + record.length) % zeros.length; return at; };
function writeNow() { fs.writeSync(fd, record, 0, record.length, next()); if (dsync === undefined) fs.fdatasyncSync(fd); }
function writeInPool(done) {
  fs.write(fd, record, 0, record.length, next(), (err) => {
    if (err) die(err);
    else if (dsync === undefined) fs.fdatasync(fd, (e) => (e ? die(e) : done()));
    else done();
  });
}
function onMessages(socket, handle) {
  socket.setNoDelay(true);
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= M) { const m = Buffer.from(pending.subarray(0, M)); pending = pending.subarray(M); handle(m); }
  });
  socket.on('error', die);
}
async function main() {
  const peers = await Promise.all(peerPorts.map((p) => new Promise((resolve, reject) => {
    const s = net.createConnection({ host: '127.0.0.1', port: Number(p) }, () => resolve(s)); s.on('error', reject);
  })));
  const waiting = new Map();
  const durable = (id) => {
    const w = waiting.get(id);
    if (w === undefined || ++w.durable < 2) return;
    waiting.delete(id);
    w.client.write(w.message);
  };
  for (const peer of peers) onMessages(peer, (m) => durable(m.readUInt32LE(0)));
  const server = net.createServer((socket) => onMessages(socket, (m) => {
    if (role === 'follower') { writeNow(); socket.write(m); return; }
    const id = m.readUInt32LE(0);
    waiting.set(id, { client: socket, message: m, durable: 0 });
    for (const peer of peers) peer.write(m);
    writeInPool(() => durable(id));
  }));
  server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
}
main().catch(die);
`;

export interface CommitFloor {
  readonly rounds: number;
  /** p50 of a commit requested right after the previous one returned (workload 1, one worker). */
  readonly backToBackP50Ms: number;
  /** p50 of a commit requested after `idleMs` without one (workload 4's rounds). */
  readonly afterIdleP50Ms: number;
  readonly idleMs: number;
}

interface FloorNode {
  readonly proc: ManagedProcess;
  readonly port: number;
}

/** Starts one child and waits for the port it listens on (it picks a free one itself). */
async function startNode(role: 'leader' | 'follower', file: string, peerPorts: readonly number[]): Promise<FloorNode> {
  const proc = new ManagedProcess(`commit-floor ${role}`, process.execPath, [
    '-e',
    NODE_SOURCE,
    role,
    file,
    ...peerPorts.map(String),
  ]);
  proc.start();
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const m = /^port (\d+)\n/m.exec(proc.output);
    if (m !== null) return { proc, port: Number(m[1]) };
    if (!proc.running) throw new Error(`the ${role} exited before it listened\n${proc.describe()}`);
    await delay(START_POLL_MS);
  }
  await proc.kill();
  throw new Error(`the ${role} did not start in ${START_TIMEOUT_MS} ms\n${proc.describe()}`);
}

/** Sends one message and resolves with the round trip in ms once the same bytes came back. */
class FloorClient {
  private pending: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (m: Buffer) => void; reject: (err: Error) => void } | null = null;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= MESSAGE_BYTES && this.waiter !== null) {
        const m = this.pending.subarray(0, MESSAGE_BYTES);
        this.pending = this.pending.subarray(MESSAGE_BYTES);
        const w = this.waiter;
        this.waiter = null;
        w.resolve(m);
      }
    });
    // a leader that dies fails the round at once rather than at its timeout
    socket.on('close', () => {
      this.closed = true;
      const w = this.waiter;
      this.waiter = null;
      w?.reject(new Error('the leader closed the connection'));
    });
  }

  static connect(port: number): Promise<FloorClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => resolve(new FloorClient(s)));
      // stays attached: a later error closes the socket (handled above) instead of throwing
      s.on('error', reject);
    });
  }

  async roundTrip(id: number): Promise<number> {
    if (this.closed) throw new Error('the leader closed the connection');
    const message = Buffer.alloc(MESSAGE_BYTES);
    message.writeUInt32LE(id, 0);
    const t0 = performance.now();
    const echoed = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no answer in ${ROUND_TIMEOUT_MS} ms`));
      }, ROUND_TIMEOUT_MS);
      this.waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
    this.socket.write(message);
    const m = await echoed;
    if (m.readUInt32LE(0) !== id) throw new Error(`answer ${m.readUInt32LE(0)} to request ${id}`);
    return performance.now() - t0;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** `rounds` rounds of: two commits back to back, a pause of `idleMs`, one commit. */
export async function measureCommitFloor(rounds: number, idleMs: number): Promise<CommitFloor> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-bench-commit-floor-'));
  trackDir(dir);
  const nodes: FloorNode[] = [];
  let client: FloorClient | null = null;
  try {
    nodes.push(await startNode('follower', join(dir, 'follower-1.log'), []));
    nodes.push(await startNode('follower', join(dir, 'follower-2.log'), []));
    const leader = await startNode('leader', join(dir, 'leader.log'), [nodes[0]!.port, nodes[1]!.port]);
    nodes.push(leader);
    client = await FloorClient.connect(leader.port);
    const busy: number[] = [];
    const idle: number[] = [];
    let id = 0;
    // a few unrecorded rounds first: the connections' and the code's first use is slower
    for (let i = 0; i < 5; i++) await client.roundTrip(id++);
    for (let i = 0; i < rounds; i++) {
      busy.push(await client.roundTrip(id++));
      busy.push(await client.roundTrip(id++));
      await delay(idleMs);
      idle.push(await client.roundTrip(id++));
    }
    return { rounds, backToBackP50Ms: median(busy), afterIdleP50Ms: median(idle), idleMs };
  } finally {
    client?.close();
    await Promise.all(nodes.map((n) => n.proc.kill()));
    removeDir(dir);
  }
}

/** One note for the floors measured before each system (null if none was attempted). */
export function describeCommitFloors(
  floors: Readonly<Partial<Record<SystemName, CommitFloor>>>,
  errors: readonly string[],
): string | null {
  const measured = SYSTEM_NAMES.flatMap((s) => {
    const f = floors[s];
    return f === undefined ? [] : [{ system: s, f }];
  });
  if (measured.length === 0 && errors.length === 0) return null;
  const each = measured.map(
    ({ system, f }) =>
      `before ${SYSTEM_LABELS[system]} p50 ${f.backToBackP50Ms} ms back to back, ${f.afterIdleP50Ms} ms after ${f.idleMs} ms idle`,
  );
  return (
    'commit floor: a bare replicated commit (three Node.js processes over loopback TCP, one durable write each into a ' +
    `preallocated file, answered once two of the three are done; ${measured[0]?.f.rounds ?? 0} rounds, timed right before ` +
    `each system) — ${[...each, ...errors.map((e) => `not measured ${e}`)].join('; ')}. ` +
    'In the systems that make a write durable on a quorum before answering (Baton, etcd, ZooKeeper; not the single ' +
    'Redis), W1 one-worker acquires, W4 handoffs and every W2 handoff wait for at least one such commit: read those ' +
    'rows against the floor of the same minutes (the machine drifts within a run)'
  );
}
