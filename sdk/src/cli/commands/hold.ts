/**
 * What `lock` and `elect` share: waiting for the hold (with a progress line on a terminal, the
 * timeout and Ctrl-C mapped to exit codes) and running the command under it.
 */
import { runGuarded } from '../child.js';
import { type CliContext, say } from '../context.js';
import { formatDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import { startWaitProgress } from '../progress.js';
import { isBatonError, type LockDescribeResult } from '../sdk.js';
import { type StopSignal, signalExitCode } from '../signals.js';

export type WaitOutcome<T> = { readonly held: T } | { readonly exitCode: number };

export interface WaitSpec<T> {
  readonly verb: 'lock' | 'lead';
  readonly name: string;
  readonly sessionId: string;
  readonly timeoutMs: number | undefined;
  /** What is not done when the wait gives up (`not running ./report.sh`). */
  readonly notDone: string;
  readonly describe: () => Promise<LockDescribeResult>;
  /** The blocking call; it must give up when `signal` aborts. */
  readonly wait: (signal: AbortSignal) => Promise<T>;
  /** Gives back a hold that arrived together with a stop signal. */
  readonly giveBack: (held: T) => Promise<void>;
}

/** Waits for the hold; a timeout is exit 75, a stop signal 128+n. Other errors propagate. */
export async function waitForHold<T>(ctx: CliContext, spec: WaitSpec<T>): Promise<WaitOutcome<T>> {
  const progress = startWaitProgress({
    stream: ctx.stderr,
    verb: spec.verb,
    name: spec.name,
    sessionId: spec.sessionId,
    describe: spec.describe,
  });
  let held: T;
  try {
    held = await spec.wait(ctx.interrupts.signal);
  } catch (err) {
    const stoppedBy = ctx.interrupts.first;
    if (stoppedBy !== null && isBatonError(err, 'CANCELLED')) return stopped(ctx, spec, stoppedBy);
    if (isBatonError(err, 'TIMEOUT')) {
      const after = spec.timeoutMs === undefined ? "the cluster's longest wait" : formatDuration(spec.timeoutMs);
      const what = spec.verb === 'lead' ? `did not become leader of ${spec.name}` : `${spec.name} is still held`;
      say(ctx, `${what} after ${after}; ${spec.notDone} (exit ${EXIT.busy})`);
      return { exitCode: EXIT.busy };
    }
    throw err;
  } finally {
    progress.stop();
  }
  const stoppedBy = ctx.interrupts.first;
  if (stoppedBy !== null) {
    await spec.giveBack(held).catch(() => {});
    return stopped(ctx, spec, stoppedBy);
  }
  return { held };
}

function stopped<T>(ctx: CliContext, spec: WaitSpec<T>, signal: StopSignal): WaitOutcome<T> {
  const exitCode = signalExitCode(signal);
  const waitingFor = spec.verb === 'lead' ? `waiting to lead ${spec.name}` : `waiting for ${spec.name}`;
  say(ctx, `${signal} while ${waitingFor}; ${spec.notDone} (exit ${exitCode})`);
  return { exitCode };
}

export interface HoldRun {
  /** `the lock jobs/report (token 42)`, `leadership of workers/primary (term 7)`. */
  readonly what: string;
  readonly signal: AbortSignal;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly killGraceMs: number;
  /** Releases or resigns once the command has exited (not called when the hold was lost). */
  readonly giveBack: () => Promise<void>;
}

/** Runs the command under the hold; its exit code, or 70 when the hold was lost meanwhile. */
export async function runUnderHold(ctx: CliContext, run: HoldRun): Promise<number> {
  if (run.signal.aborted) {
    // lost between the grant and now: nothing ran, nothing to stop
    say(
      ctx,
      `lost ${run.what} before the command started: ${reasonText(run.signal.reason)}; not running it (exit ${EXIT.unavailable})`,
    );
    return EXIT.unavailable;
  }
  const result = await runGuarded({
    argv: run.command,
    env: { ...process.env, ...run.env },
    lossSignal: run.signal,
    killGraceMs: run.killGraceMs,
    interrupts: ctx.interrupts,
    ownProcessGroup: !ctx.stdinIsTTY,
    onLoss: (reason) => {
      say(
        ctx,
        `LOST ${run.what}: ${reasonText(reason)}; stopping the command (SIGTERM now, SIGKILL in ${formatDuration(run.killGraceMs)})`,
      );
    },
  });
  if (result.startError !== null)
    say(ctx, `cannot run ${JSON.stringify(run.command[0])}: ${result.startError.message}`);
  if (result.lost) {
    say(ctx, `the command was stopped because ${run.what} was lost (exit ${EXIT.lost})`);
    return EXIT.lost;
  }
  try {
    await run.giveBack();
  } catch (err) {
    // the command is done; the session's close (or, failing that, its expiry) frees the hold
    say(
      ctx,
      `could not give back ${run.what} (${err instanceof Error ? err.message : String(err)}); it ends with the session`,
    );
  }
  return result.exitCode;
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
