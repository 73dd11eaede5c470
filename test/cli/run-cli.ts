/**
 * Runs the built `baton` CLI (sdk/bin/baton.js, as `npx baton` would) as a real process, with
 * its output collected and line-by-line waits on it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BATON_BIN = fileURLToPath(new URL('../../sdk/bin/baton.js', import.meta.url));
/** Every wait on a CLI process is bounded: a hung CLI fails the test instead of stalling it. */
const WAIT_TIMEOUT_MS = 30_000;

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliExit>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly proc: ChildProcess) {
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.wake();
    });
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      proc.once('close', (code, signal) => {
        this.wake();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error('the CLI did not start');
    return this.proc.pid;
  }

  get lines(): string[] {
    return this.stdout.split('\n').filter((l) => l !== '');
  }

  /** Resolves with the first stdout line matching `pred`, in order, starting at line `from`. */
  async line(pred: (line: string) => boolean, what: string, from = 0): Promise<string> {
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    for (;;) {
      const found = this.lines.slice(from).find(pred);
      if (found !== undefined) return found;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`the CLI exited before ${what}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      const leftMs = deadline - Date.now();
      if (leftMs <= 0)
        throw new Error(`timed out waiting for ${what}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, leftMs);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the exit, bounded. */
  async exit(): Promise<CliExit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the CLI did not exit within ${WAIT_TIMEOUT_MS} ms; stderr:\n${this.stderr}`)),
        WAIT_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }
}

/** Starts `baton <args>` against `endpoints` (BATON_ENDPOINTS), no other BATON_* from our environment. */
export function startCli(args: readonly string[], endpoints: readonly string[]): CliProcess {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
  const proc = spawn(process.execPath, [BATON_BIN, ...args], {
    env: { ...env, BATON_ENDPOINTS: endpoints.join(',') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new CliProcess(proc);
}

/** Runs `baton <args>` to its end. */
export function runCli(args: readonly string[], endpoints: readonly string[]): Promise<CliExit> {
  const cli = startCli(args, endpoints);
  cli.proc.stdin?.end();
  return cli.exit();
}

/** Linux: a process that is gone or a zombie (killed, not yet reaped) is not alive. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
