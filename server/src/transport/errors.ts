/** Errors the transport throws. Only configuration can throw; the send path never does. */

export type TransportConfigErrorCode = 'INVALID_OPTIONS' | 'INVALID_PEERS';

/** Options or a peer set the transport cannot work with: a configuration bug, reported at once. */
export class TransportConfigError extends Error {
  constructor(
    readonly code: TransportConfigErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransportConfigError';
  }
}
