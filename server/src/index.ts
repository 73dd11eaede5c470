/** @baton/server: the node. The Raft core is also exported on its own as `@baton/server/raft`. */

export * as fsm from './fsm/index.js';
export * as raft from './raft/index.js';
export * as storage from './storage/index.js';
export * as transport from './transport/index.js';
