/** The handshake: the first request on a connection names the client and settles the version. */
import { z } from 'zod';
import { ClientIdSchema, requestFields, utf8String } from './common.js';
import { LIMITS } from './limits.js';

export const HelloRequestSchema = z.strictObject({
  ...requestFields('hello'),
  clientId: ClientIdSchema,
  /** Bearer token, when the server requires one (UNAUTHENTICATED otherwise). */
  token: utf8String(1, LIMITS.maxAuthTokenBytes).optional(),
  /** Versions the client speaks; absent means the frame's `v`. None shared → UNSUPPORTED_VERSION. */
  protocolVersions: z.array(z.int().positive()).min(1).max(LIMITS.maxHelloProtocolVersions).optional(),
});
export type HelloRequest = z.output<typeof HelloRequestSchema>;

export const HelloResultSchema = z.strictObject({
  protocolVersion: z.int().positive(),
  nodeId: z.string(),
  serverVersion: z.string(),
  /** The leader's client WebSocket URL, when this node is not the leader and knows it. */
  leaderHint: z.string().optional(),
});
export type HelloResult = z.output<typeof HelloResultSchema>;
