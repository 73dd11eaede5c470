/**
 * How every example runs: get a cluster (BATON_ENDPOINTS or an embedded one), tell the story step
 * by step, check that each step went as told, clean up, and exit 0 — or 1 with what went wrong.
 * The example tests (test/examples/) rely on exactly that.
 */
import { useCluster } from './cluster.mjs';

export class StoryError extends Error {}

/** One line of the story. */
export function say(line = '') {
  console.log(line);
}

/** A check the story depends on: prints it when it holds, ends the example when it does not. */
export function check(condition, what) {
  if (!condition) throw new StoryError(what);
  console.log(`  ✓ ${what}`);
}

/**
 * Runs `body(cluster)` and exits: 0 when it finished, 1 when it threw. Open clients are not
 * waited for: process.exit ends them (their sessions expire on the cluster).
 */
export async function runExample(name, body) {
  let cluster;
  let code = 0;
  try {
    cluster = await useCluster();
    await body(cluster);
    say(`\n${name}: the story went as told.`);
  } catch (err) {
    code = 1;
    const text = err instanceof StoryError ? `this did not hold: ${err.message}` : (err?.stack ?? String(err));
    console.error(`\n${name}: FAILED — ${text}`);
  } finally {
    await cluster?.stop().catch((err) => console.error(`stopping the embedded cluster: ${err.message}`));
  }
  process.exit(code);
}

/**
 * Things that happen elsewhere (a worker's output lines, leadership changes), kept in order, with
 * a bounded wait for the first one that matches.
 */
export class Inbox {
  #items = [];
  #waiters = new Set();

  push(item) {
    this.#items.push(item);
    for (const wake of this.#waiters) wake();
  }

  get items() {
    return this.#items;
  }

  /** The first item (from index `from`) matching `pred`; rejects after `timeoutMs`. */
  async next(pred, what, { from = 0, timeoutMs = 30_000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.#items.slice(from).find(pred);
      if (found !== undefined) return found;
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) throw new StoryError(`${what} (nothing within ${timeoutMs} ms)`);
      await new Promise((resolve) => {
        const timer = setTimeout(done, leftMs);
        const self = this;
        function done() {
          clearTimeout(timer);
          self.#waiters.delete(done);
          resolve();
        }
        this.#waiters.add(done);
      });
    }
  }
}
