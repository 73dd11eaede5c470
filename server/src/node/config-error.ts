/**
 * The error every configuration problem becomes, and the small value parsers the flag groups
 * share (config.ts for the node, security-config.ts for TLS, tokens and client limits).
 */

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(
    /** The flag (or config file key) at fault, without the dashes. */
    readonly flag: string,
    message: string,
  ) {
    super(`--${flag}: ${message}`);
  }
}

/** `HOST:PORT` or `[v6]:PORT`; port 0 asks the OS for a free one. */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (m === null || host === undefined || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(flag, `expected HOST:PORT, got ${JSON.stringify(text)}`);
  }
  return { host, port };
}

/** A whole number in [min, max], or `fallback` when the flag is not set. */
export function parseIntValue(
  raw: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(flag, `expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** `tokens[2].permissions["jobs/"]`: a zod issue path (config file, token file) as a reader would write it. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out === '' ? '(top level)' : out;
}
