/**
 * runGuarded on real processes (sh): exit codes pass through, a lost hold is SIGTERM then SIGKILL
 * after the grace for the whole process group, stop signals are passed on.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GuardedCommand, runGuarded } from './child.js';
import { EXIT } from './exit-codes.js';
import { Interrupts } from './signals.js';

const UNTIL_TIMEOUT_MS = 10_000;
const UNTIL_INTERVAL_MS = 20;

let dir: string;
let interrupts: Interrupts;
let fakeProcess: EventEmitter;
const strays: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-cli-child-'));
  fakeProcess = new EventEmitter();
  interrupts = new Interrupts(fakeProcess as unknown as NodeJS.Process);
});

afterEach(() => {
  interrupts.dispose();
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function command(script: string, lossSignal: AbortSignal, overrides: Partial<GuardedCommand> = {}): GuardedCommand {
  return {
    argv: ['sh', '-c', script],
    env: { ...process.env, DIR: dir },
    lossSignal,
    killGraceMs: 200,
    interrupts,
    ownProcessGroup: true,
    onLoss: () => {},
    ...overrides,
  };
}

/** Polls `check` (bounded): the child reports progress through files, its stdio is inherited. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + UNTIL_TIMEOUT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, UNTIL_INTERVAL_MS));
  }
}

const file = (name: string): string => join(dir, name);

/** A zombie (killed, not yet reaped by init) counts as dead. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('runGuarded', () => {
  it('passes the exit code and the environment through', async () => {
    const result = await runGuarded(
      command('test "$TOKEN" = 42 && exit 7; exit 1', new AbortController().signal, {
        env: { ...process.env, TOKEN: '42' },
      }),
    );
    expect(result).toEqual({ exitCode: 7, lost: false, startError: null });
  });

  it('reports a command ended by a signal as 128 + n', async () => {
    const result = await runGuarded(command('kill -TERM $$', new AbortController().signal));
    expect(result.exitCode).toBe(128 + 15);
  });

  it('answers 127 for a command that does not exist', async () => {
    const result = await runGuarded({
      ...command('', new AbortController().signal),
      argv: [join(dir, 'no-such-command')],
    });
    expect(result.exitCode).toBe(EXIT.notFound);
    expect(result.startError?.code).toBe('ENOENT');
  });

  it('on loss sends SIGTERM, then SIGKILL after the grace when SIGTERM is ignored', async () => {
    const loss = new AbortController();
    const reasons: unknown[] = [];
    const running = runGuarded(
      command(
        'trap "echo term >> $DIR/terms" TERM; echo ready > $DIR/ready; while :; do sleep 0.05; done',
        loss.signal,
        {
          onLoss: (reason) => reasons.push(reason),
        },
      ),
    );
    await until('the command to start', () => existsSync(file('ready')));
    loss.abort(new Error('session lost'));
    const result = await running;
    expect(result).toEqual({ exitCode: 128 + 9, lost: true, startError: null });
    expect(readFileSync(file('terms'), 'utf8')).toContain('term');
    expect(reasons).toEqual([new Error('session lost')]);
  });

  it('a command that stops on SIGTERM is not killed, but the run still counts as lost', async () => {
    const loss = new AbortController();
    const running = runGuarded(
      command('trap "exit 0" TERM; echo ready > $DIR/ready; while :; do sleep 0.05; done', loss.signal, {
        killGraceMs: 60_000,
      }),
    );
    await until('the command to start', () => existsSync(file('ready')));
    loss.abort();
    expect(await running).toEqual({ exitCode: 0, lost: true, startError: null });
  });

  it('on loss also stops what the command started (its process group)', async () => {
    const loss = new AbortController();
    // the grandchild ignores SIGTERM: only the group-wide SIGKILL stops it
    const running = runGuarded(
      command('(trap "" TERM; exec sleep 30) & echo $! > $DIR/grandchild; echo ready > $DIR/ready; wait', loss.signal),
    );
    await until('the command to start', () => existsSync(file('ready')));
    const grandchild = Number(readFileSync(file('grandchild'), 'utf8'));
    strays.push(grandchild);
    expect(isAlive(grandchild)).toBe(true);
    loss.abort();
    expect((await running).lost).toBe(true);
    await until('the grandchild to die', () => !isAlive(grandchild));
  });

  it('passes stop signals on to the command', async () => {
    const running = runGuarded(
      command(
        'trap "exit 42" HUP; echo ready > $DIR/ready; while :; do sleep 0.05; done',
        new AbortController().signal,
      ),
    );
    await until('the command to start', () => existsSync(file('ready')));
    fakeProcess.emit('SIGHUP');
    expect(interrupts.first).toBe('SIGHUP');
    expect(await running).toEqual({ exitCode: 42, lost: false, startError: null });
  });

  it('in the terminal group, does not send SIGINT again (the terminal delivered it)', async () => {
    const running = runGuarded(
      command(
        'trap "echo int >> $DIR/ints" INT; trap "exit 3" TERM; echo ready > $DIR/ready; while :; do sleep 0.05; done',
        new AbortController().signal,
        { ownProcessGroup: false },
      ),
    );
    await until('the command to start', () => existsSync(file('ready')));
    fakeProcess.emit('SIGINT');
    fakeProcess.emit('SIGTERM');
    expect((await running).exitCode).toBe(3);
    expect(existsSync(file('ints'))).toBe(false);
  });
});
