/**
 * Baton's typed client. Sessions, locks, semaphores and elections arrive with the SDK issue;
 * for now the package only re-exports the protocol version it speaks.
 */
export { PROTOCOL_VERSION } from '@baton/proto-schemas';
