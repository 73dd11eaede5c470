/**
 * One baton-server process of a chaos cluster. Like the shared harness's ServerProcess, with what
 * the chaos modes add: a listen host other than loopback (a node in its own network namespace), a
 * command prefix that starts it there (`ip netns exec <ns>`, which execs the server: the pid we
 * hold is the server's, so SIGSTOP and SIGKILL reach it), and the test hooks' environment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { SERVER_BIN } from '../../cluster/harness.js';
import { trackChild } from './child-registry.js';

/** How much of a node's output is kept in memory (the full log goes to a file). */
const OUTPUT_TAIL_CHARS = 20_000;

export interface NodeProcessSpec {
  readonly name: string;
  /** Where its client and peer endpoints listen. */
  readonly host: string;
  readonly port: number;
  readonly args: readonly string[];
  /** Run before `node` (empty: directly). */
  readonly commandPrefix: readonly string[];
  /** Added to the harness's environment. */
  readonly env: Readonly<Record<string, string>>;
}

export class NodeProcess {
  proc: ChildProcess | null = null;
  output = '';
  /** Flags added at the next starts (a re-added member starts as a joiner of an existing cluster). */
  extraArgs: string[] = [];

  constructor(readonly spec: NodeProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get host(): string {
    return this.spec.host;
  }

  get port(): number {
    return this.spec.port;
  }

  get clientUrl(): string {
    return `ws://${this.spec.host}:${this.spec.port}/v1/client`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  start(): void {
    if (this.proc !== null) throw new Error(`${this.name} is already running`);
    const [command, ...prefixArgs] = [...this.spec.commandPrefix, process.execPath];
    const proc = spawn(command!, [...prefixArgs, SERVER_BIN, ...this.spec.args, ...this.extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.spec.env },
    });
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('exit', () => {
      if (this.proc === proc) this.proc = null;
    });
    // a command that cannot start (no such binary) emits no 'exit': say why and count it as exited
    proc.on('error', (err) => {
      keep(Buffer.from(`${this.name}: cannot start: ${err.message}\n`));
      if (this.proc === proc) this.proc = null;
    });
    trackChild(proc);
    this.proc = proc;
  }

  /** The exit of the current process within `timeoutMs` (code, signal), or null if it still runs then. */
  async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: string | null } | null> {
    const proc = this.proc;
    if (proc === null) return null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        proc.off('exit', onExit);
        resolve(null);
      }, timeoutMs);
      const onExit = (code: number | null, signal: string | null): void => {
        clearTimeout(timer);
        resolve({ code, signal });
      };
      proc.once('exit', onExit);
    });
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (proc === null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    await exited;
  }
}
