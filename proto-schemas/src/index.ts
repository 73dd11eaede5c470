/** The wire contract between Baton's clients, servers and peers (DESIGN §5). */
export * from './admin.js';
export * from './backup-file.js';
export * from './common.js';
export * from './election.js';
export * from './errors.js';
export * from './events.js';
export * from './frames.js';
export * from './hello.js';
export * from './limits.js';
export * from './lock.js';
export * from './parse.js';
export * from './peer.js';
export * from './requests.js';
export * from './session.js';
export * from './status.js';
export * from './utf8.js';
export * from './version.js';
