/**
 * The client worker bundle for the chaos tests (vitest runs sources; workers are separate
 * processes and need JavaScript). Built into a fresh directory, not taken from test/dist: `npm
 * test` may rebuild (and clean) test/dist meanwhile; under the root node_modules so that
 * '@baton/sdk' and 'ws' resolve from the bundle.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'tsup';
import type { WorkerCommand } from '../workload/worker-pool.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..');

export interface WorkerBuild {
  readonly command: WorkerCommand;
  dispose(): Promise<void>;
}

export async function buildWorker(): Promise<WorkerBuild> {
  const buildDir = await mkdtemp(join(REPO, 'node_modules', '.cache-baton-chaos-'));
  try {
    await build({
      entry: { 'chaos-worker': join(import.meta.dirname, '..', 'worker', 'entry.ts') },
      outDir: buildDir,
      format: ['esm'],
      platform: 'node',
      target: 'node20',
      external: ['@baton/sdk', 'ws'],
      config: false,
      silent: true,
      dts: false,
      sourcemap: false,
      clean: false,
    });
  } catch (err) {
    await rm(buildDir, { recursive: true, force: true });
    throw err;
  }
  return {
    command: { modulePath: join(buildDir, 'chaos-worker.js'), args: [] },
    dispose: () => rm(buildDir, { recursive: true, force: true }),
  };
}
