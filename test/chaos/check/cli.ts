/** npm run -s check-history -- --model <register|kv|lock> <file> [--budget-ms N]: see cli-main.ts. */
import { runCheckHistory } from './cli-main.js';

// `check-history … | head -1` closes the pipe early: that is a reader's choice, not a failure,
// so keep the verdict's exit code instead of dying on EPIPE
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit();
});

process.exitCode = runCheckHistory(process.argv.slice(2));
