/**
 * How long one small durable write takes on the disk the clusters' data directories are on, the
 * way the Baton WAL makes one (a write to a file opened O_DSYNC): back to back, and after the
 * disk sat idle for a moment as it does between the rounds of workload 4. Every commit waits for
 * one such write on a quorum (the leader's in parallel with a follower's), so this is the floor
 * under workload 1's one-worker latency and workload 4's handoff, whatever the software does.
 */
import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** The size of a small WAL batch: one lock entry with its record header. */
const WRITE_BYTES = 128;

export interface DiskFloor {
  readonly writes: number;
  /** p50 of a durable write issued right after the previous one finished. */
  readonly backToBackP50Ms: number;
  /** p50 of a durable write issued after the disk had nothing to do for `idleMs`. */
  readonly afterIdleP50Ms: number;
  readonly idleMs: number;
}

export async function measureDiskFloor(writes: number, idleMs: number): Promise<DiskFloor> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-bench-disk-'));
  const fh = await open(join(dir, 'probe'), constants.O_WRONLY | constants.O_CREAT | constants.O_DSYNC, 0o600);
  const buf = Buffer.alloc(WRITE_BYTES, 0x5a);
  const busy: number[] = [];
  const idle: number[] = [];
  try {
    let position = 0;
    const once = async (into: number[]): Promise<void> => {
      const t0 = performance.now();
      await fh.write(buf, 0, WRITE_BYTES, position);
      into.push(performance.now() - t0);
      position += WRITE_BYTES;
    };
    // interleaved, so that both see the same disk over the same seconds
    for (let i = 0; i < writes; i++) {
      await once(busy);
      await once(busy);
      await delay(idleMs);
      await once(idle);
    }
  } finally {
    await fh.close();
    await rm(dir, { recursive: true, force: true });
  }
  return { writes, backToBackP50Ms: median(busy), afterIdleP50Ms: median(idle), idleMs };
}

/** The middle sample (the upper one of an even count), to the microsecond. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.floor(s.length / 2)] ?? Number.NaN).toFixed(3));
}

export function describeDiskFloor(d: DiskFloor): string {
  return (
    `disk floor: a durable ${WRITE_BYTES}-byte write (O_DSYNC) takes p50 ${d.backToBackP50Ms} ms back to back, ` +
    `${d.afterIdleP50Ms} ms after ${d.idleMs} ms idle (${d.writes} rounds, in the clusters' temp directory); ` +
    'a commit waits for one on the leader and one on a follower in parallel, so W1 one-worker and W4 latencies cannot go below it'
  );
}
