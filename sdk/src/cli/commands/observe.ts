/** `baton observe <name>`: one JSON line per leadership change (the current state first) until Ctrl-C. */
import type { GlobalOptions } from '../args.js';
import { type CliContext, closeClient, connect } from '../context.js';
import { EXIT } from '../exit-codes.js';

export async function runObserve(ctx: CliContext, globals: GlobalOptions, name: string): Promise<number> {
  const client = await connect(ctx, globals);
  try {
    for await (const change of client.observe(name, { signal: ctx.interrupts.signal })) {
      const line =
        change.droppedChanges > 0
          ? { name: change.name, leader: change.leader, droppedChanges: change.droppedChanges }
          : { name: change.name, leader: change.leader };
      ctx.stdout.write(`${JSON.stringify(line)}\n`);
    }
    return EXIT.ok;
  } finally {
    await closeClient(client);
  }
}
