/**
 * The CLI's exit codes (documented in `baton --help` and sdk/README.md). Where a sysexits.h code
 * fits it is used, so shell scripts and cron wrappers can tell "busy, try later" (75) apart from
 * "the job failed". `lock`/`elect` with a command otherwise exit with the command's own code.
 */
import { type BatonError, isBatonError } from './sdk.js';
import { Interrupted, signalExitCode } from './signals.js';

export const EXIT = Object.freeze({
  ok: 0,
  /** An error not covered below (INTERNAL, RESOURCE_EXHAUSTED…). */
  failure: 1,
  /** Bad flags or arguments (also INVALID_ARGUMENT from the cluster). */
  usage: 2,
  /** EX_UNAVAILABLE: the cluster could not be reached, or the session was lost before the command ran. */
  unavailable: 69,
  /** EX_SOFTWARE: the lock or leadership was lost while the command ran; the command was terminated. */
  lost: 70,
  /** EX_TEMPFAIL: busy (`--try` found it held) or `--timeout` passed; the command did not run. */
  busy: 75,
  /** EX_NOPERM: the cluster refused the token (UNAUTHENTICATED, PERMISSION_DENIED). */
  refused: 77,
  /** The command exists but could not be executed (as in POSIX shells). */
  cannotExecute: 126,
  /** The command was not found (as in POSIX shells). */
  notFound: 127,
  /** 128 + n: ended by signal n (the command's, or baton's own while it waited). */
  signalBase: 128,
});

/** The exit code for an error that ended a command before anything ran. */
export function exitCodeForError(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof Interrupted) return signalExitCode(err.signal);
  if (!isBatonError(err)) return EXIT.failure;
  return exitCodeForBatonError(err);
}

function exitCodeForBatonError(err: BatonError): number {
  switch (err.code) {
    case 'TIMEOUT':
      return EXIT.busy;
    case 'UNAVAILABLE':
    case 'NOT_LEADER':
    case 'SESSION_EXPIRED':
    case 'UNSUPPORTED_VERSION':
      return EXIT.unavailable;
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
      return EXIT.refused;
    case 'INVALID_ARGUMENT':
      return EXIT.usage;
    default:
      return EXIT.failure;
  }
}

/** Bad command-line input: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}
