/**
 * `baton snapshot save <file>`: an online backup — a consistent copy of the state machine (taken
 * at a linearizable point on the answering node) with its Raft index and term, checked end to
 * end by SHA-256 and written atomically. `baton-server restore --from <file>` starts a new
 * cluster from it.
 */
import type { AdminArgs } from '../admin-args.js';
import type { GlobalOptions } from '../args.js';
import { writeBackupFile } from '../backup-writer.js';
import { type CliContext, closeClient, connect, interruptible } from '../context.js';
import { EXIT } from '../exit-codes.js';

type SaveArgs = Extract<AdminArgs, { action: 'snapshot.save' }>;

export async function runSnapshotSave(ctx: CliContext, globals: GlobalOptions, args: SaveArgs): Promise<number> {
  const client = await connect(ctx, globals);
  try {
    const copy = await interruptible(ctx, client.saveSnapshot());
    const bytes = await writeBackupFile(args.file, copy);
    const { index, term, sha256 } = copy.info;
    ctx.stdout.write(
      globals.json
        ? `${JSON.stringify({ file: args.file, index, term, bytes, sha256 })}\n`
        : `saved ${args.file}: index ${index}, term ${term}, ${bytes} bytes (sha256 ${sha256.slice(0, 12)}…)\n`,
    );
    return EXIT.ok;
  } finally {
    await closeClient(client);
  }
}
