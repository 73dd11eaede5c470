/** Peer (node-to-node) frames: filled in with the peer transport. */
export {};
