/** @baton/server: the node. The Raft core is also exported on its own as `@baton/server/raft`. */

export * as fsm from './fsm/index.js';
// a whole node, for tools that run nodes in their own process (the load generator's --in-process)
export { parseServerConfig } from './node/config.js';
export { type RunningServer, startServer } from './node/server.js';
export * as raft from './raft/index.js';
export * as storage from './storage/index.js';
export * as transport from './transport/index.js';
