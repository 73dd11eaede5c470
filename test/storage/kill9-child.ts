/**
 * The child of the kill -9 test (kill9.test.ts): opens DiskStorage on a data directory and writes
 * to it like a Raft node would, as fast as it can, until it is killed, reporting on stdout what
 * became durable (kill9-protocol.ts). Every choice comes from the seed.
 *
 *   node test/dist/storage/kill9-child.js <data-dir> <seed>
 *
 * What it does, in the shapes Raft produces:
 * - batches of 1..8 entries of the current term, up to MAX_IN_FLIGHT persists in flight at once
 *   (so group commit merges them), many with a hard state whose commit is the highest durable index;
 * - now and then a new term that overwrites entries that are not yet durable (a conflicting
 *   suffix; acknowledged entries are never overwritten: they stand for committed ones);
 * - now and then a snapshot of the state machine at a durable index (compaction), and rarely a
 *   snapshot "from the leader" ahead of the log, which replaces it.
 */
import { storage } from '@baton/server';
import type { Entry, HardState, Snapshot } from '@baton/server/raft';
import { SimRng } from '../sim/rng.js';
import { CHILD_OPTIONS, CONF_STATE, entryData, snapshotData } from './kill9-protocol.js';

const MAX_IN_FLIGHT = 4;
/** A bound on the run; the parent kills the child long before. */
const MAX_STEPS = 1_000_000;

const [dir, seedText] = process.argv.slice(2);
if (dir === undefined || seedText === undefined) {
  process.stderr.write('usage: kill9-child <data-dir> <seed>\n');
  process.exit(2);
}
const rng = new SimRng(Number(seedText));
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

say('opening');
const { storage: disk, info } = await storage.DiskStorage.open(dir, CHILD_OPTIONS);
say(`open ${info.firstIndex} ${info.lastIndex} ${info.snapshotIndex}`);

let term = Math.max(1, info.hardState.term, disk.term(disk.lastIndex()));
let next = disk.lastIndex() + 1;
/** Highest index known durable: nothing at or below it is ever overwritten. */
let durableHigh = disk.lastIndex();
let commit = info.hardState.commit;
/** Term each not-yet-acknowledged entry was last issued with (an overwrite replaces it). */
const pending = new Map<number, number>();
let snapshotting = false;

function persistEntries(from: number, count: number): Promise<void> {
  const entries: Entry[] = [];
  for (let i = from; i < from + count; i++) {
    entries.push({ index: i, term, type: 'normal', data: entryData(i, term) });
    pending.set(i, term);
  }
  for (let i = from + count; i < next; i++) pending.delete(i); // overwritten away (shorter log)
  next = from + count;
  const batchTerm = term;
  const hardState: HardState | null = rng.chance(0.4) ? { term, vote: 1, commit } : null;
  return disk.persist({ entries, hardState, snapshot: null }).then(() => {
    let runStart = -1;
    const flush = (end: number) => {
      if (runStart >= 0) say(`a ${runStart} ${end} ${batchTerm}`);
      runStart = -1;
    };
    for (let i = from; i < from + count; i++) {
      // still the entry we wrote? (an overwrite issued since then replaced it in the log)
      if (pending.get(i) === batchTerm) {
        pending.delete(i);
        durableHigh = Math.max(durableHigh, i);
        if (runStart < 0) runStart = i;
      } else flush(i - 1);
    }
    flush(from + count - 1);
    if (hardState !== null) say(`h ${hardState.term} ${hardState.commit}`);
    commit = Math.max(commit, Math.min(durableHigh, disk.lastIndex()));
  });
}

function step(): Promise<void> {
  const roll = rng.float();
  // nothing at or below this is overwritten: durable entries, and a snapshot (even one whose
  // persist is still running: the log already starts after it)
  const floor = Math.max(durableHigh, disk.snapshot().metadata.index);
  if (roll < 0.04 && next - 1 > floor) {
    // a new leader overwrites a suffix nobody acknowledged yet
    term += 1;
    const from = rng.nextInt(floor + 1, next);
    say(`t ${from} ${term}`);
    return persistEntries(from, rng.nextInt(1, 6));
  }
  if (roll < 0.08 && !snapshotting && durableHigh > disk.snapshot().metadata.index) {
    const index = rng.nextInt(disk.snapshot().metadata.index + 1, durableHigh + 1);
    const snapTerm = disk.term(index);
    snapshotting = true;
    return disk
      .createSnapshot(index, CONF_STATE, snapshotData(index, snapTerm))
      .then(() => say(`s ${index} ${snapTerm}`))
      .finally(() => {
        snapshotting = false;
      });
  }
  if (roll < 0.085) {
    // the leader sends a snapshot ahead of everything here: it replaces the log
    term += 1;
    const index = next + rng.nextInt(0, 20);
    const snapshot: Snapshot = {
      metadata: { index, term, confState: CONF_STATE },
      data: snapshotData(index, term),
    };
    for (const i of pending.keys()) if (i <= index) pending.delete(i);
    next = index + 1;
    commit = index;
    const hardState = { term, vote: 2, commit: index };
    return disk.persist({ entries: [], hardState, snapshot }).then(() => {
      durableHigh = Math.max(durableHigh, index);
      say(`s ${index} ${term}`);
      say(`h ${hardState.term} ${hardState.commit}`);
    });
  }
  return persistEntries(next, rng.nextInt(1, 9));
}

const inFlight = new Set<Promise<void>>();
for (let i = 0; i < MAX_STEPS; i++) {
  while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  const p: Promise<void> = step().finally(() => inFlight.delete(p));
  inFlight.add(p);
}
await Promise.all(inFlight);
await disk.close();
say('done');
