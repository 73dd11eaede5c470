/** The Raft messages that may cross the network, as the transport carries them. */
import { isPeerMessageType, type PeerMessageType } from '@baton/proto-schemas';
import type { Message } from '../raft/types.js';

/** A core Message whose type is one of the wire's (the core's local types never leave the node). */
export type PeerBoundMessage = Message & { readonly type: PeerMessageType };

export function isPeerBound(m: Message): m is PeerBoundMessage {
  return isPeerMessageType(m.type);
}
