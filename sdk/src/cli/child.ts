/**
 * Runs the user's command under a hold (a lock or a leadership) and stops it when the hold is
 * lost: SIGTERM at once, SIGKILL after the grace. etcdctl passes the token but never kills the
 * child; `consul lock` kills it but passes no token — this does both.
 *
 * Off a terminal the command gets its own process group and every signal goes to the whole group:
 * a shell script that waits on a child of its own defers SIGTERM until that child exits, so
 * signalling the script alone could leave the real work running without the lock. On a terminal
 * the command stays in the terminal's foreground group (it may read the terminal, and Ctrl-C
 * reaches it directly, so baton does not send SIGINT a second time).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EXIT } from './exit-codes.js';
import { type Interrupts, signalExitCode } from './signals.js';

export interface GuardedCommand {
  /** The command and its arguments. */
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** The hold's signal: aborted when the hold is lost. */
  readonly lossSignal: AbortSignal;
  readonly killGraceMs: number;
  readonly interrupts: Interrupts;
  /** Run in a process group of its own, signalled as a whole (see above). */
  readonly ownProcessGroup: boolean;
  /** Called once when the hold is lost, before the command is signalled (say so on stderr). */
  readonly onLoss: (reason: unknown) => void;
}

export interface GuardedResult {
  /** The command's exit code, 128+n if signal n ended it, 126/127 if it could not start. */
  readonly exitCode: number;
  /** The hold was lost while the command ran (the command was told to stop). */
  readonly lost: boolean;
  /** Set when the command could not be started. */
  readonly startError: NodeJS.ErrnoException | null;
}

export function runGuarded(cmd: GuardedCommand): Promise<GuardedResult> {
  const [file, ...args] = cmd.argv;
  if (file === undefined) throw new Error('runGuarded: empty command');
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, { stdio: 'inherit', env: cmd.env, detached: cmd.ownProcessGroup });
    } catch (err) {
      // synchronous failures (a NUL byte in an argument…) are start errors like ENOENT
      resolve(startFailure(err as NodeJS.ErrnoException, false));
      return;
    }
    let lost = false;
    let killTimer: ReturnType<typeof setTimeout> | null = null;

    const signalChild = (signal: NodeJS.Signals): void => {
      const pid = child.pid;
      if (pid === undefined) return;
      try {
        if (cmd.ownProcessGroup) process.kill(-pid, signal);
        else child.kill(signal);
      } catch {
        // ESRCH: it is already gone
      }
    };
    const onLoss = (): void => {
      if (lost) return;
      lost = true;
      cmd.onLoss(cmd.lossSignal.reason);
      signalChild('SIGTERM');
      killTimer = setTimeout(() => signalChild('SIGKILL'), cmd.killGraceMs);
    };
    const offInterrupt = cmd.interrupts.onSignal((signal) => {
      if (cmd.ownProcessGroup || signal !== 'SIGINT') signalChild(signal);
    });
    const cleanup = (): void => {
      cmd.lossSignal.removeEventListener('abort', onLoss);
      offInterrupt();
      if (killTimer !== null) clearTimeout(killTimer);
    };

    child.once('error', (err: NodeJS.ErrnoException) => {
      // after a successful start, 'error' only reports a failed kill (handled by the ESRCH rule)
      if (child.pid !== undefined) return;
      cleanup();
      resolve(startFailure(err, lost));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      // a lost hold: whatever the command left running in its group goes too
      if (lost && cmd.ownProcessGroup) signalChild('SIGKILL');
      resolve({ exitCode: code ?? signalExitCode(signal ?? 'SIGKILL'), lost, startError: null });
    });
    if (cmd.lossSignal.aborted) onLoss();
    else cmd.lossSignal.addEventListener('abort', onLoss, { once: true });
  });
}

function startFailure(err: NodeJS.ErrnoException, lost: boolean): GuardedResult {
  return { exitCode: err.code === 'ENOENT' ? EXIT.notFound : EXIT.cannotExecute, lost, startError: err };
}
