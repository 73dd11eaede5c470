/** @baton/server: the node. The Raft core is also exported on its own as `@baton/server/raft`. */
export * as raft from './raft/index.js';
