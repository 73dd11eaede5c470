/**
 * `baton`: the SDK for the shell (DESIGN §6). Parses the command line, runs one command, and
 * answers a documented exit code (exit-codes.ts). main.ts is the process entry around it.
 */
import { readFileSync } from 'node:fs';
import { type Environment, type Invocation, parseInvocation } from './args.js';
import { runDescribe } from './commands/describe.js';
import { runElect } from './commands/elect.js';
import { runLeaderTransfer } from './commands/leader.js';
import { runLock } from './commands/lock.js';
import { runMembers } from './commands/members.js';
import { runObserve } from './commands/observe.js';
import { runSnapshotSave } from './commands/snapshot.js';
import { runStatus } from './commands/status.js';
import type { CliContext } from './context.js';
import { EXIT, exitCodeForError, UsageError } from './exit-codes.js';
import { isBatonError } from './sdk.js';
import { Interrupts } from './signals.js';
import { usage } from './usage.js';

export interface CliStreams {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Environment;
  readonly stdinIsTTY: boolean;
}

/** Runs one `baton` invocation; resolves to the exit code (never rejects). */
export async function main(argv: readonly string[], streams: CliStreams): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseInvocation(argv, streams.env);
  } catch (err) {
    streams.stderr.write(`baton: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
  if (invocation.kind === 'help') {
    streams.stdout.write(usage(invocation.command));
    return EXIT.ok;
  }
  if (invocation.kind === 'version') {
    streams.stdout.write(`baton ${packageVersion()}\n`);
    return EXIT.ok;
  }
  const interrupts = new Interrupts();
  const ctx: CliContext = { ...streams, interrupts };
  try {
    switch (invocation.kind) {
      case 'lock':
        return await runLock(ctx, invocation.globals, invocation.args);
      case 'elect':
        return await runElect(ctx, invocation.globals, invocation.args);
      case 'observe':
        return await runObserve(ctx, invocation.globals, invocation.name);
      case 'describe':
        return await runDescribe(ctx, invocation.globals, invocation.name);
      case 'status':
        return await runStatus(ctx, invocation.globals);
      case 'admin': {
        const { args, globals } = invocation;
        if (args.action === 'leader.transfer') return await runLeaderTransfer(ctx, globals, args);
        if (args.action === 'snapshot.save') return await runSnapshotSave(ctx, globals, args);
        return await runMembers(ctx, globals, args);
      }
    }
  } catch (err) {
    streams.stderr.write(`baton: ${describeError(err, invocation)}\n`);
    return exitCodeForError(err);
  } finally {
    interrupts.dispose();
  }
}

function describeError(err: unknown, invocation: Invocation): string {
  if (!isBatonError(err)) return err instanceof Error ? err.message : String(err);
  const text = `${err.code}: ${err.message}`;
  if (err.code === 'UNAVAILABLE' && 'globals' in invocation) {
    return `${text} (endpoints: ${invocation.globals.endpoints.join(',')}; is the cluster running? npm start, or set --endpoints / BATON_ENDPOINTS)`;
  }
  return text;
}

function packageVersion(): string {
  try {
    // dist/cli/main.js and src/cli/main.ts are both two levels below the package
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
