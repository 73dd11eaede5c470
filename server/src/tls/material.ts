/**
 * Certificates and keys from PEM files, checked when the node starts so that a wrong file is a
 * ConfigError naming its flag rather than a failed handshake later: each file must parse, the key
 * must match the certificate, and the certificate must be valid now.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../node/config-error.js';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Trusted CA certificates: whose certificates the other side must present (null: none asked). */
  readonly ca: Buffer | null;
}

export interface TlsFlags {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
}

export function loadTlsMaterial(files: TlsFiles, flags: TlsFlags, nowMs: number): TlsMaterial {
  const cert = readPem(files.cert, flags.cert);
  const key = readPem(files.key, flags.key);
  const ca = files.ca === undefined ? null : readPem(files.ca, flags.ca);
  const certificate = parseCertificate(cert, flags.cert);
  if (Date.parse(certificate.validTo) <= nowMs) {
    throw new ConfigError(flags.cert, `${files.cert} expired on ${certificate.validTo}`);
  }
  if (Date.parse(certificate.validFrom) > nowMs) {
    throw new ConfigError(flags.cert, `${files.cert} is not valid before ${certificate.validFrom}`);
  }
  try {
    createPrivateKey(key);
  } catch (err) {
    throw new ConfigError(flags.key, `${files.key} holds no readable private key (${reason(err)})`);
  }
  if (!certificate.checkPrivateKey(createPrivateKey(key))) {
    throw new ConfigError(flags.key, `${files.key} is not the key of the certificate in ${files.cert}`);
  }
  if (ca !== null) {
    parseCertificate(ca, flags.ca);
    try {
      createSecureContext({ ca });
    } catch (err) {
      throw new ConfigError(flags.ca, `${files.ca} is not a usable CA bundle (${reason(err)})`);
    }
  }
  return { cert, key, ca };
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(flag, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? reason(err)}`);
  }
}

function parseCertificate(pem: Buffer, flag: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new ConfigError(flag, `not a PEM certificate (${reason(err)})`);
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
