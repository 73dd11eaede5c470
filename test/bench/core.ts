/**
 * npm run bench:core — the Raft core alone: a 3-node cluster in memory (no disk, no network),
 * driven as fast as one thread can. Reports committed entries per second for 64-byte proposals
 * (batched by the Ready loop) and CPU time per committed entry, as the median of several trials.
 */
import { parseArgs } from 'node:util';
import { bootstrapLog, MemoryStorage, type Message, RawNode } from '@baton/server/raft';
import { SimRng } from '../sim/rng.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    batch: { type: 'string', default: '256' },
    json: { type: 'boolean', default: false },
  },
});
const trials = Number(values.trials);
const seconds = Number(values.seconds);
const batch = Number(values.batch);
const PAYLOAD = new Uint8Array(64).fill(7);

interface Trial {
  entriesPerSec: number;
  cpuMicrosPerEntry: number;
}

function trial(seed: number): Trial {
  const ids = [1, 2, 3];
  const boot = bootstrapLog(ids);
  const rng = new SimRng(seed);
  const disks = new Map<number, MemoryStorage>();
  const nodes = new Map<number, RawNode>();
  for (const id of ids) {
    const disk = new MemoryStorage();
    disk.append(boot.entries);
    disk.setHardState(boot.hardState);
    disks.set(id, disk);
    nodes.set(
      id,
      new RawNode({ id, storage: disk, rng: rng.fork(), maxInflightMsgs: 256, maxSizePerMsgBytes: 1 << 20 }),
    );
  }
  let applied = 0;
  const queue: Message[] = [];
  const pump = (): void => {
    for (let guard = 0; guard < 1_000_000; guard++) {
      let progressed = false;
      for (const [id, n] of nodes) {
        if (!n.hasReady()) continue;
        progressed = true;
        const rd = n.ready();
        const disk = disks.get(id) as MemoryStorage;
        if (rd.entries.length > 0) disk.append(rd.entries);
        if (rd.hardState) disk.setHardState(rd.hardState);
        for (const m of rd.messages) queue.push(m);
        for (const m of rd.messagesAfterPersist) if (m.to !== id) queue.push(m);
        if (id === 1) applied += rd.committedEntries.length;
        n.advance();
        const last = rd.committedEntries[rd.committedEntries.length - 1];
        if (last && last.index % 50_000 === 0) {
          disk.createSnapshot(last.index, n.raft.confState(), new Uint8Array(0));
          disk.compact(last.index - 1000);
        }
      }
      while (queue.length > 0) {
        progressed = true;
        const m = queue.shift() as Message;
        (nodes.get(m.to) as RawNode).step(m);
      }
      if (!progressed) return;
    }
    throw new Error('pump did not settle');
  };
  const leader = nodes.get(1) as RawNode;
  pump();
  leader.campaign();
  pump();
  if (leader.raft.role !== 'leader') throw new Error('node 1 did not become leader');
  const startApplied = applied;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < batch; i++) leader.propose(PAYLOAD);
    pump();
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const entries = applied - startApplied;
  return { entriesPerSec: entries / elapsed, cpuMicrosPerEntry: (cpu.user + cpu.system) / entries };
}

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

const results: Trial[] = [];
for (let t = 0; t < trials; t++) {
  const r = trial(t + 1);
  results.push(r);
  if (!values.json) {
    process.stderr.write(
      `  trial ${t + 1}: ${Math.round(r.entriesPerSec).toLocaleString('en-US')} entries/s, ${r.cpuMicrosPerEntry.toFixed(2)} µs CPU/entry\n`,
    );
  }
}
const summary = {
  benchmark: 'raft-core',
  nodes: 3,
  payloadBytes: PAYLOAD.length,
  batch,
  trials,
  secondsPerTrial: seconds,
  medianEntriesPerSec: Math.round(median(results.map((r) => r.entriesPerSec))),
  medianCpuMicrosPerEntry: Number(median(results.map((r) => r.cpuMicrosPerEntry)).toFixed(3)),
  target: 200_000,
};
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(
    `raft core, 3 nodes in memory, ${PAYLOAD.length}-byte proposals in batches of ${batch}: ` +
      `median ${summary.medianEntriesPerSec.toLocaleString('en-US')} committed entries/s, ` +
      `${summary.medianCpuMicrosPerEntry} µs CPU per entry (target >= 200,000/s)`,
  );
}
