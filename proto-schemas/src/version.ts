/** The client protocol version every frame carries as `v`, and the versions a hello can settle on. */
export const PROTOCOL_VERSION = 1 as const;

/** Versions this build speaks, newest first. A hello settles on the newest one both sides share. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = Object.freeze([PROTOCOL_VERSION]);

/**
 * The version a hello settles on: the newest supported version the client offered, or `null` when
 * none is shared (the server answers UNSUPPORTED_VERSION). A hello that offers nothing speaks the
 * version of its frame.
 */
export function negotiateProtocolVersion(offered: readonly number[] | undefined): number | null {
  if (offered === undefined) return PROTOCOL_VERSION;
  for (const version of SUPPORTED_PROTOCOL_VERSIONS) {
    if (offered.includes(version)) return version;
  }
  return null;
}
