/**
 * The node's test hooks: off (and the real file system untouched) unless the environment asks,
 * and loud when on.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { nodeFileOps } from '../storage/file-ops.js';
import type { Logger } from './logger.js';
import { FSYNC_DELAY_FILE_ENV, storageTestHooks } from './test-hooks.js';

function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines };
}

describe('storageTestHooks', () => {
  it('changes nothing and says nothing without the variable (or with it empty)', () => {
    for (const env of [{}, { [FSYNC_DELAY_FILE_ENV]: '' }]) {
      const { logger, lines } = capturingLogger();
      expect(storageTestHooks(env, logger)).toEqual({});
      expect(lines()).toEqual([]);
    }
  });

  it('wraps the file system and warns at start when BATON_TEST_FSYNC_DELAY_FILE is set', () => {
    const { logger, lines } = capturingLogger();
    const options = storageTestHooks({ [FSYNC_DELAY_FILE_ENV]: '/tmp/delay-ms' }, logger);
    expect(options.fileOps).toBeDefined();
    expect(options.fileOps).not.toBe(nodeFileOps);
    const [line] = lines();
    expect(line).toMatchObject({ level: 40, controlFile: '/tmp/delay-ms' });
    expect(String(line?.msg)).toContain('test hook: fsync delay from /tmp/delay-ms');
  });
});
