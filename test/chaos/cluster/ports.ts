/**
 * A free loopback port that stays bound until released: the OS picks it (listen on port 0), and
 * nobody else can be handed it before the node that will use it starts.
 */
import { createServer } from 'node:net';
import { HOST } from '../../cluster/harness.js';

export interface ReservedPort {
  readonly port: number;
  release(): Promise<void>;
}

export function reservePort(): Promise<ReservedPort> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      resolve({ port, release: () => new Promise<void>((done) => srv.close(() => done())) });
    });
  });
}
