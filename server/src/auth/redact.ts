/**
 * pino redaction: bearer tokens, Authorization headers and the peer secret never reach a log
 * line, even if a future log call passes a whole request or configuration object. `token` is
 * also the name of fencing tokens (numbers, worth logging), so only string values are censored.
 */
export const REDACTED = '[redacted]';

export const LOG_REDACTION = Object.freeze({
  paths: [
    'token',
    '*.token',
    '*.*.token',
    'authorization',
    '*.authorization',
    '*.headers.authorization',
    'peerSecret',
    '*.peerSecret',
    'secret',
    '*.secret',
  ],
  // numbers (fencing tokens), booleans and null say nothing secret; anything else is censored
  censor: (value: unknown): unknown =>
    value === null || typeof value === 'number' || typeof value === 'boolean' ? value : REDACTED,
});
