/** What every command gets: the streams, the environment, the stop signals, and a way to connect. */
import type { Environment, GlobalOptions } from './args.js';
import { BatonClient } from './sdk.js';
import { Interrupted, type Interrupts } from './signals.js';

/** client.close() waits for cleanup; a CLI on its way out waits this long at most (the server expires the rest). */
export const CLOSE_TIMEOUT_MS = 3_000;

export interface CliContext {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Environment;
  /** The command may read the terminal: keep it in the terminal's process group (see child.ts). */
  readonly stdinIsTTY: boolean;
  readonly interrupts: Interrupts;
}

/** One line on stderr, prefixed `baton:` so it stands out from the command's own output. */
export function say(ctx: CliContext, text: string): void {
  ctx.stderr.write(`baton: ${text}\n`);
}

export function connect(ctx: CliContext, globals: GlobalOptions): Promise<BatonClient> {
  return interruptible(
    ctx,
    BatonClient.connect({
      endpoints: [...globals.endpoints],
      ...(globals.token === undefined ? {} : { token: globals.token }),
      ...(globals.tls === undefined ? {} : { tls: globals.tls }),
    }),
  );
}

/**
 * `work`, or Interrupted as soon as a stop signal arrives: Ctrl-C must not wait for a connection
 * attempt or a read to time out. What `work` still does is cut short by the exit that follows.
 */
export function interruptible<T>(ctx: CliContext, work: Promise<T>): Promise<T> {
  const stop = ctx.interrupts.signal;
  const interrupted = (): Interrupted => new Interrupted(ctx.interrupts.first ?? 'SIGINT');
  if (stop.aborted) {
    work.catch(() => {});
    return Promise.reject(interrupted());
  }
  return new Promise<T>((resolve, reject) => {
    const onStop = (): void => reject(interrupted());
    stop.addEventListener('abort', onStop, { once: true });
    work.then(
      (value) => {
        stop.removeEventListener('abort', onStop);
        resolve(value);
      },
      (err: unknown) => {
        stop.removeEventListener('abort', onStop);
        reject(err);
      },
    );
  });
}

/** Closes the client (releasing what its sessions hold), waiting at most CLOSE_TIMEOUT_MS. */
export async function closeClient(client: BatonClient): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
  });
  try {
    await Promise.race([client.close().catch(() => {}), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
