/**
 * Runs iproute2 (`ip`, `tc`, `ss`) for the netns mode: asynchronously during a run, synchronously
 * in the signal/exit cleanup (where nothing asynchronous gets to run any more).
 */
import { execFile, execFileSync } from 'node:child_process';

/** No iproute2 call takes long; one that hangs must not hang the run. */
const IP_COMMAND_TIMEOUT_MS = 10_000;

export class NetnsCommandError extends Error {
  readonly code = 'NETNS_COMMAND_FAILED';
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')}: ${stderr.trim() || 'failed'}`);
  }
}

/** Runs `argv` (argv[0] is the program); resolves with stdout, rejects with NetnsCommandError. */
export function run(argv: readonly string[]): Promise<string> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(file!, args, { timeout: IP_COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else reject(new NetnsCommandError(argv, stderr || err.message));
    });
  });
}

/** `run`, where a failure is expected sometimes (already gone): resolves with the error or null. */
export async function tryRun(argv: readonly string[]): Promise<NetnsCommandError | null> {
  try {
    await run(argv);
    return null;
  } catch (err) {
    if (err instanceof NetnsCommandError) return err;
    throw err;
  }
}

/** Synchronous, never throws: stdout, or null when the command failed. For cleanup on exit. */
export function runSync(argv: readonly string[]): string | null {
  const [file, ...args] = argv;
  try {
    return execFileSync(file!, args, {
      timeout: IP_COMMAND_TIMEOUT_MS,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
}
