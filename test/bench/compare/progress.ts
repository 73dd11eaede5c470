/**
 * The progress line: on a terminal one line rewritten in place (step, elapsed, what is being
 * measured now); elsewhere (CI, a pipe) one line per step, so logs stay readable.
 */

/** A terminal line is rewritten at most this often. */
const RENDER_INTERVAL_MS = 200;

export class Progress {
  private step = 0;
  private label = '';
  private detail = '';
  private lastRenderMs = 0;
  private readonly t0 = performance.now();

  constructor(
    private readonly totalSteps: number,
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  ) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  private prefix(): string {
    const s = Math.round((performance.now() - this.t0) / 1000);
    const elapsed = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    return `[${this.step}/${this.totalSteps} ${elapsed}]`;
  }

  /** A new step begins. */
  begin(label: string): void {
    this.step++;
    this.label = label;
    this.detail = '';
    if (this.tty) this.render(true);
    else this.out.write(`${this.prefix()} ${label}\n`);
  }

  /** What the current step is doing now (terminal only). */
  update(detail: string): void {
    this.detail = detail;
    if (this.tty) this.render(false);
  }

  /** A line that stays (a warning, a skipped peer). */
  log(line: string): void {
    if (this.tty) this.out.write('\r\x1b[K');
    this.out.write(`${line}\n`);
    if (this.tty && this.label !== '') this.render(true);
  }

  /** Clears the line at the end. */
  finish(): void {
    if (this.tty) this.out.write('\r\x1b[K');
  }

  private render(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastRenderMs < RENDER_INTERVAL_MS) return;
    this.lastRenderMs = now;
    const line = `${this.prefix()} ${this.label}${this.detail === '' ? '' : ` · ${this.detail}`}`;
    const width = (this.out.columns ?? 120) - 1;
    this.out.write(`\r\x1b[K${line.length > width ? line.slice(0, width) : line}`);
  }
}
