/** `baton lock <name> -- <cmd>`: run a command while holding a lock, with its fencing token. */
import { hostname } from 'node:os';
import type { GlobalOptions, LockArgs } from '../args.js';
import { type CliContext, closeClient, connect, interruptible, say } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { describeHolder } from '../progress.js';
import type { BatonClient, Lock, Metadata } from '../sdk.js';
import { runUnderHold, waitForHold } from './hold.js';

export async function runLock(ctx: CliContext, globals: GlobalOptions, args: LockArgs): Promise<number> {
  const client = await connect(ctx, globals);
  try {
    const session = await interruptible(ctx, client.session({ ttlMs: args.ttlMs, label: 'baton lock' }));
    const metadata: Metadata = { owner: 'baton lock', host: hostname(), pid: process.pid };
    const notDone = `not running ${JSON.stringify(args.command[0])}`;
    let lock: Lock;
    if (args.try) {
      const maybe = await interruptible(ctx, session.tryAcquire(args.name, { limit: args.limit, metadata }));
      if (maybe === null) {
        say(ctx, `${args.name} is ${await whoHolds(client, args.name)}; ${notDone} (--try, exit ${EXIT.busy})`);
        return EXIT.busy;
      }
      lock = maybe;
    } else {
      const outcome = await waitForHold(ctx, {
        verb: 'lock',
        name: args.name,
        sessionId: session.id,
        timeoutMs: args.timeoutMs,
        notDone,
        describe: () => client.describe(args.name),
        wait: (signal) =>
          session.acquire(args.name, {
            limit: args.limit,
            metadata,
            signal,
            ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
          }),
        giveBack: (held) => held.release(),
      });
      if ('exitCode' in outcome) return outcome.exitCode;
      lock = outcome.held;
    }
    if (ctx.stderr.isTTY === true) say(ctx, `acquired ${args.name} (token ${lock.token})`);
    return await runUnderHold(ctx, {
      what: `the lock ${args.name} (token ${lock.token})`,
      signal: lock.signal,
      command: args.command,
      env: {
        BATON_LOCK_NAME: args.name,
        BATON_FENCING_TOKEN: String(lock.token),
        BATON_LOCK_GENERATION: String(lock.generation),
      },
      killGraceMs: args.killGraceMs,
      giveBack: () => lock.release(),
    });
  } finally {
    await closeClient(client);
  }
}

/** `held by pid 4242 on web-1 (token 31, 12s)`, best effort (the answer may already be stale). */
async function whoHolds(client: BatonClient, name: string): Promise<string> {
  try {
    const described = await client.describe(name);
    if (described.holders.length === 0) return 'busy';
    const [first] = described.holders;
    const more = described.holders.length > 1 ? ` and ${described.holders.length - 1} more` : '';
    return `held by ${describeHolder(first!)}${more}`;
  } catch {
    return 'held by someone else';
  }
}
