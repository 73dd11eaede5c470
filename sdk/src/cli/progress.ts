/**
 * "waiting for jobs/report: held by pid 4242 on web-1 (token 31, 12s), 2 ahead" — shown on stderr
 * while a wait lasts, only when stderr is a terminal (a log file must not fill with redraws).
 */
import { formatDuration } from './duration.js';
import type { Holder, LockDescribeResult, Waiter } from './sdk.js';

/** Quick grants print nothing. */
export const SHOW_AFTER_MS = 500;
export const REFRESH_MS = 1_000;
const CLEAR_LINE = '\r\x1b[2K';
/** When the terminal does not say how wide it is. */
const DEFAULT_COLUMNS = 80;

export interface WaitProgressOptions {
  readonly stream: NodeJS.WriteStream;
  /** 'lock' or 'lead' (for an election). */
  readonly verb: 'lock' | 'lead';
  readonly name: string;
  readonly sessionId: string;
  readonly describe: () => Promise<LockDescribeResult>;
}

export interface WaitProgress {
  stop(): void;
}

export function startWaitProgress(options: WaitProgressOptions): WaitProgress {
  if (options.stream.isTTY !== true) return { stop: () => {} };
  let shown = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const refresh = async (): Promise<void> => {
    timer = null;
    let line: string;
    try {
      line = describeWait(await options.describe(), options.sessionId, options.verb);
    } catch {
      line = `${waitingFor(options.verb, options.name)}…`;
    }
    if (stopped) return;
    // one terminal line: longer text would wrap and leave debris behind on the next redraw
    const columns = options.stream.columns;
    const width = typeof columns === 'number' && columns > 0 ? columns : DEFAULT_COLUMNS;
    options.stream.write(`${CLEAR_LINE}${line.slice(0, Math.max(20, width - 1))}`);
    shown = true;
    timer = setTimeout(() => void refresh(), REFRESH_MS);
    timer.unref();
  };
  timer = setTimeout(() => void refresh(), SHOW_AFTER_MS);
  timer.unref();
  return {
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      if (shown) options.stream.write(CLEAR_LINE);
    },
  };
}

/** The progress line for a describe answer, from the point of view of `sessionId`. */
export function describeWait(result: LockDescribeResult, sessionId: string, verb: 'lock' | 'lead'): string {
  const parts = [waitingFor(verb, result.name)];
  if (result.holders.length > 0) {
    const shown = result.holders.slice(0, 2).map((h) => describeHolder(h, verb));
    const more = result.holders.length > shown.length ? ` and ${result.holders.length - shown.length} more` : '';
    parts.push(`: ${verb === 'lead' ? 'led' : 'held'} by ${shown.join(', ')}${more}`);
  } else if (result.lockDelayRemainingMs > 0) {
    parts.push(`: lock-delay, ${formatDuration(result.lockDelayRemainingMs)} left`);
  }
  const position = result.waiters.findIndex((w: Waiter) => w.sessionId === sessionId);
  const ahead = position >= 0 ? position : result.waiters.length;
  parts.push(ahead === 0 ? ', next in line' : `, ${ahead} ahead`);
  return parts.join('');
}

function waitingFor(verb: 'lock' | 'lead', name: string): string {
  return verb === 'lead' ? `waiting to lead ${name}` : `waiting for ${name}`;
}

/** `pid 4242 on web-1 (token 31, 12s)`, or `session 17 (token 31, 12s)` without metadata. */
export function describeHolder(holder: Holder, verb: 'lock' | 'lead' = 'lock'): string {
  const meta = holder.metadata;
  const who: string[] = [];
  if (meta?.owner !== undefined) who.push(meta.owner);
  if (meta?.pid !== undefined) who.push(`pid ${meta.pid}`);
  if (meta?.host !== undefined) who.push(`on ${meta.host}`);
  const label = who.length > 0 ? who.join(' ') : `session ${holder.sessionId}`;
  return `${label} (${verb === 'lead' ? 'term' : 'token'} ${holder.token}, ${formatDuration(holder.sinceMs)})`;
}
