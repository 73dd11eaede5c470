/** `baton leader transfer <id>`: hand Raft leadership to a named voter (TimeoutNow). */
import type { AdminArgs } from '../admin-args.js';
import type { GlobalOptions } from '../args.js';
import { type CliContext, closeClient, connect, interruptible } from '../context.js';
import { EXIT } from '../exit-codes.js';

type TransferArgs = Extract<AdminArgs, { action: 'leader.transfer' }>;

export async function runLeaderTransfer(ctx: CliContext, globals: GlobalOptions, args: TransferArgs): Promise<number> {
  const client = await connect(ctx, globals);
  try {
    const result = await interruptible(
      ctx,
      client.transferLeadership(args.id, args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
    );
    ctx.stdout.write(
      globals.json ? `${JSON.stringify(result)}\n` : `leader is now ${result.leaderId} (raft term ${result.term})\n`,
    );
    return EXIT.ok;
  } finally {
    await closeClient(client);
  }
}
