/**
 * `npm start` shows the nodes' pino JSON logs as readable lines (pino-pretty), one per record,
 * prefixed with the node and component; the log files keep the JSON. BATON_LOG_PRETTY=0 turns
 * the terminal copy off.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { prettyFactory } from 'pino-pretty';

export function prettyLogsEnabled(env: NodeJS.ProcessEnv): boolean {
  return env.BATON_LOG_PRETTY !== '0' && env.BATON_LOG_PRETTY !== 'false';
}

/** Writes every JSON log line of `input` to `out` as one readable line (non-JSON lines as they are). */
export function prettyPrintLogs(input: Readable, out: Writable, colorize: boolean): void {
  const pretty = prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,node,component',
    messageFormat: '{node}{if component} {component}{end}: {msg}',
  });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let text: string;
    try {
      text = pretty(line);
    } catch {
      text = `${line}\n`;
    }
    out.write(text.endsWith('\n') ? text : `${text}\n`);
  });
}
