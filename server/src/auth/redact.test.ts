import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../node/logger.js';
import { REDACTED } from './redact.js';

describe('log redaction', () => {
  it('censors bearer tokens, Authorization headers and the peer secret; keeps fencing tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-redact-'));
    try {
      const file = join(dir, 'log.jsonl');
      const fd = openSync(file, 'w');
      const logger = createLogger({ level: 'info', destination: fd });
      logger.info({ token: 'bearer-secret-1' }, 'top level');
      logger.info({ request: { type: 'hello', token: 'bearer-secret-2' } }, 'nested');
      logger.info({ req: { headers: { authorization: 'Bearer bearer-secret-3' } } }, 'header');
      logger.info({ config: { peerSecret: 'bearer-secret-4' } }, 'config');
      logger.info({ peerSecret: false, token: null }, 'flags');
      logger.info({ grant: { name: 'jobs/a', token: 42 } }, 'a fencing token');
      // the destination writes asynchronously: wait (bounded) for the last line to land
      let text = '';
      for (let i = 0; i < 200 && !text.includes('a fencing token'); i++) {
        await new Promise((r) => setTimeout(r, 10));
        text = readFileSync(file, 'utf8');
      }
      closeSync(fd);
      expect(text).not.toMatch(/bearer-secret/);
      expect(text.split(REDACTED).length - 1).toBe(4);
      expect(text).toContain('"token":42');
      expect(text).toContain('"peerSecret":false,"token":null');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
