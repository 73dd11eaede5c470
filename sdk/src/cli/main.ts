/**
 * The process entry of `baton` (bin/baton.js loads its build): runs the command line and exits
 * with the code it answers.
 */
import { main } from './cli.js';
import { EXIT } from './exit-codes.js';

/** The process entry: bin/baton.js imports this module, which runs at once. */
async function run(): Promise<void> {
  // `baton observe x | head -1`: a closed pipe ends the output, not with a stack trace
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdinIsTTY: process.stdin.isTTY === true,
  });
  // stdout/stderr writes are synchronous for files, pipes and terminals on POSIX: nothing is lost
  process.exit(code);
}

await run();
