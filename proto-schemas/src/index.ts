/**
 * The wire contract between Baton's clients, servers and peers. The schemas arrive with the
 * coordination server; for now this package only names the protocol version both sides speak.
 */
export const PROTOCOL_VERSION = 1 as const;
