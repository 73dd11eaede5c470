/**
 * Logging: pino JSON lines, one child logger per component (`{component: 'raft'}`), object first
 * and message second. Nothing logs inside per-entry loops.
 */
import { type Logger as PinoLogger, pino } from 'pino';
import { LOG_REDACTION } from '../auth/redact.js';

export type Logger = PinoLogger;

export function createLogger(options: { level?: string; nodeName?: string; destination?: number } = {}): Logger {
  const base = options.nodeName === undefined ? {} : { node: options.nodeName };
  return pino(
    { level: options.level ?? 'info', base, redact: { ...LOG_REDACTION, paths: [...LOG_REDACTION.paths] } },
    pino.destination(options.destination ?? 1),
  );
}

/** For tests: a logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
