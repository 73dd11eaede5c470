/**
 * Real `baton-server` processes for the security tests: any flags (TLS, peer listener, tokens,
 * limits), the whole output kept (the tests read the logs), status read over HTTP or HTTPS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { freePort, HOST, SERVER_BIN, waitFor } from '../cluster/harness.js';

/** Everything a node printed is kept for the log checks, up to this much. */
const MAX_OUTPUT_CHARS = 8 * 1024 * 1024;

export interface NodeStatus {
  readonly name: string;
  readonly role: string;
  readonly leader: string | null;
  readonly term: number;
  readonly commitIndex: number;
}

export class SecureNode {
  proc: ChildProcess | null = null;
  output = '';
  exitCode: number | null = null;
  private exitWaiters: ((code: number | null) => void)[] = [];

  constructor(
    readonly name: string,
    readonly clientPort: number,
    readonly args: readonly string[],
    /** The CA that signed the client listener's certificate; null: plaintext. */
    readonly clientCa: Buffer | null,
  ) {}

  get clientUrl(): string {
    return `${this.clientCa === null ? 'ws' : 'wss'}://${HOST}:${this.clientPort}/v1/client`;
  }

  get endpoint(): string {
    return `${this.clientCa === null ? 'ws' : 'wss'}://${HOST}:${this.clientPort}`;
  }

  start(): void {
    if (this.proc !== null) throw new Error(`${this.name} is already running`);
    this.exitCode = null;
    const proc = spawn(process.execPath, [SERVER_BIN, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      if (this.output.length < MAX_OUTPUT_CHARS) this.output += chunk.toString();
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('exit', (code) => {
      if (this.proc === proc) this.proc = null;
      this.exitCode = code;
      for (const w of this.exitWaiters.splice(0)) w(code);
    });
    this.proc = proc;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Resolves with the exit code once the process has exited (at once if it has). */
  exited(): Promise<number | null> {
    if (this.proc === null) return Promise.resolve(this.exitCode);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  signal(signal: NodeJS.Signals): void {
    this.proc?.kill(signal);
  }

  async kill(): Promise<void> {
    if (this.proc === null) return;
    const exited = this.exited();
    this.proc.kill('SIGKILL');
    await exited;
  }

  status(): Promise<NodeStatus | null> {
    return new Promise((resolve) => {
      const options = { host: HOST, port: this.clientPort, path: '/v1/status', timeout: 1_000 };
      const onResponse = (res: import('node:http').IncomingMessage): void => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as NodeStatus);
          } catch {
            resolve(null);
          }
        });
      };
      const req =
        this.clientCa === null ? httpGet(options, onResponse) : httpsGet({ ...options, ca: this.clientCa }, onResponse);
      req.on('error', () => resolve(null));
      req.on('timeout', () => req.destroy());
    });
  }

  /** Waits until the process prints `text` (or fails after `timeoutMs`). */
  async waitForOutput(text: string | RegExp, timeoutMs = 15_000): Promise<void> {
    await waitFor(
      `${this.name} to print ${String(text)}`,
      () => (typeof text === 'string' ? this.output.includes(text) : text.test(this.output)) || null,
      timeoutMs,
    );
  }
}

/** Waits until the running `nodes` agree on one leader that says it leads; returns it. */
export async function waitForLeader(nodes: readonly SecureNode[], timeoutMs = 20_000): Promise<SecureNode> {
  return waitFor(
    `a leader ${nodes.map((n) => n.name).join(', ')} agree on`,
    async () => {
      const statuses = await Promise.all(nodes.map((n) => n.status()));
      if (statuses.some((s) => s === null)) return null;
      const leaders = new Set(statuses.map((s) => s?.leader));
      if (leaders.size !== 1) return null;
      const name = [...leaders][0];
      const at = nodes.findIndex((n) => n.name === name);
      return at >= 0 && statuses[at]?.role === 'leader' ? nodes[at] : null;
    },
    timeoutMs,
  );
}

/** One plaintext node (a cluster of one) with `extraArgs`, started and leading. */
export async function startSingleNode(dir: string, extraArgs: readonly string[]): Promise<SecureNode> {
  const port = await freePort();
  const node = new SecureNode(
    'n1',
    port,
    [
      ...['--id', 'n1', '--listen', `${HOST}:${port}`, '--peers', `n1=http://${HOST}:${port}`],
      ...['--data-dir', join(dir, 'n1'), ...extraArgs],
    ],
    null,
  );
  node.start();
  try {
    await waitForLeader([node], 30_000);
  } catch (err) {
    await node.kill();
    throw new Error(`${String(err)}\n--- n1 output\n${node.output.slice(-5_000)}`);
  }
  return node;
}
