/**
 * The token file (`--auth-tokens FILE`): JSON, validated with zod; a bad file is a TokenFileError
 * naming the key at fault (`tokens[2].permissions["jobs/"][0]`), and the node refuses to start
 * (or, on a SIGHUP reload, keeps the tokens it had).
 *
 * ```json
 * { "tokens": [
 *     { "name": "cron", "token": "…at least 16 characters…", "permissions": { "jobs/": ["lock"] } },
 *     { "name": "ops", "sha256": "<hex SHA-256 of the token>", "permissions": { "": ["admin"] },
 *       "expiresAt": "2030-01-01T00:00:00Z" } ] }
 * ```
 *
 * A token is given either as itself (`token`) or as the hex SHA-256 of it (`sha256`), so that a
 * copy of the file need not hold usable secrets. Only digests are kept in memory.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LIMITS, utf8ByteLength } from '@baton/proto-schemas';
import { z } from 'zod';
import { keyPath } from '../node/config-error.js';
import { type Grant, type Identity, PERMISSIONS, type Permission } from './permissions.js';

export class TokenFileError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(
    /** Where in the file: `tokens[1].expiresAt`, or `file` when the file itself is unreadable. */
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

const IDENTITY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$/;

const TokenEntrySchema = z
  .strictObject({
    /** Who the token speaks for: shown in logs, and the key of per-identity limits. */
    name: z.string().regex(IDENTITY_NAME_RE, 'must be 1-128 of [A-Za-z0-9_.@:-], starting with a letter or digit'),
    token: z
      .string()
      .refine((t) => utf8ByteLength(t) >= LIMITS.minAuthTokenBytes, {
        message: `must be at least ${LIMITS.minAuthTokenBytes} bytes`,
      })
      .refine((t) => utf8ByteLength(t) <= LIMITS.maxAuthTokenBytes, {
        message: `must be at most ${LIMITS.maxAuthTokenBytes} bytes`,
      })
      .optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
      .optional(),
    permissions: z
      .record(
        z.string().refine((p) => utf8ByteLength(p) <= LIMITS.maxNameBytes, {
          message: `a prefix is at most ${LIMITS.maxNameBytes} bytes`,
        }),
        z.array(z.enum(PERMISSIONS)).min(1).max(PERMISSIONS.length),
      )
      .refine((r) => Object.keys(r).length <= LIMITS.maxGrantsPerToken, {
        message: `at most ${LIMITS.maxGrantsPerToken} prefixes`,
      }),
    /** ISO 8601 with a zone (`2030-01-01T00:00:00Z`); after it the token is refused UNAUTHENTICATED. */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((entry, ctx) => {
    if ((entry.token === undefined) === (entry.sha256 === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'give exactly one of "token" and "sha256"' });
    }
    for (const [prefix, permissions] of Object.entries(entry.permissions)) {
      if (permissions.includes('admin') && prefix !== '') {
        ctx.addIssue({
          code: 'custom',
          path: ['permissions', prefix],
          message: 'admin is cluster-wide: grant it on the prefix ""',
        });
      }
    }
  });

export const TokenFileSchema = z.strictObject({
  tokens: z.array(TokenEntrySchema).max(LIMITS.maxAuthTokens),
});
export type TokenFileInput = z.input<typeof TokenFileSchema>;

/** One token, ready to check: its digest, who it is, and until when. */
export interface TokenEntry {
  /** SHA-256 of the token (32 bytes). The token itself is never kept. */
  readonly digest: Buffer;
  readonly identity: Identity;
  /** Wall-clock ms since the epoch, or null for a token that does not expire. */
  readonly expiresAtMs: number | null;
}

export interface TokenTable {
  readonly entries: readonly TokenEntry[];
}

export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Parses a token file's text. Throws TokenFileError naming the key at fault. */
export function parseTokenFile(text: string): TokenTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TokenFileError('file', `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = TokenFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TokenFileError(keyPath(issue?.path ?? []), issue?.message ?? 'invalid');
  }
  const seen = new Map<string, number>();
  const entries = parsed.data.tokens.map((e, i): TokenEntry => {
    const digest = e.token === undefined ? Buffer.from(e.sha256 ?? '', 'hex') : tokenDigest(e.token);
    const hex = digest.toString('hex');
    const twin = seen.get(hex);
    if (twin !== undefined) {
      throw new TokenFileError(
        keyPath(['tokens', i, e.token === undefined ? 'sha256' : 'token']),
        `same token as tokens[${twin}]`,
      );
    }
    seen.set(hex, i);
    const grants: Grant[] = Object.entries(e.permissions).map(([prefix, permissions]) => ({
      prefix,
      permissions: new Set<Permission>(permissions),
    }));
    return {
      digest,
      identity: { name: e.name, grants, admin: grants.some((g) => g.permissions.has('admin')) },
      expiresAtMs: e.expiresAt === undefined ? null : Date.parse(e.expiresAt),
    };
  });
  return { entries };
}

/** Reads and parses the token file at `path`. Throws TokenFileError. */
export function loadTokenFile(path: string): TokenTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TokenFileError('file', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseTokenFile(text);
}
