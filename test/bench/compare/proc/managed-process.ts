/**
 * One server process of a system under test: started from a fixed command line (so a killed
 * node restarts on the same data directory and ports), its output tail kept for error messages,
 * its pid registered for cleanup.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { trackPid, untrackPid } from './cleanup.js';

/** Output kept per process: enough to explain a failure. */
const OUTPUT_TAIL_CHARS = 8_000;

export class ManagedProcess {
  private child: ChildProcess | null = null;
  output = '';
  lastExit: { code: number | null; signal: string | null } | null = null;

  constructor(
    readonly name: string,
    readonly command: string,
    readonly args: readonly string[],
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  start(): void {
    if (this.child !== null) throw new Error(`${this.name} is already running`);
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.env });
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err) => keep(Buffer.from(`\nspawn error: ${err.message}\n`)));
    const pid = child.pid;
    if (pid !== undefined) trackPid(pid);
    child.on('exit', (code, signal) => {
      if (pid !== undefined) untrackPid(pid);
      this.lastExit = { code, signal };
      if (this.child === child) this.child = null;
    });
    this.child = child;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child === null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }

  describe(): string {
    const exit = this.lastExit === null ? 'running' : `exited ${this.lastExit.code ?? this.lastExit.signal}`;
    return `--- ${this.name} (${exit})\n${this.output.slice(-2_000)}`;
  }
}
