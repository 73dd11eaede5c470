/** The wire contract between Baton's clients, servers and peers. */
export const PROTOCOL_VERSION = 1 as const;
export * from './errors.js';
export * from './limits.js';
export * from './peer.js';
