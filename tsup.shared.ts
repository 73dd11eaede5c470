import type { Options } from 'tsup';

/** The one build setting every package shares: ESM for Node 20, with declarations and source maps. */
export function packageBuild(entry: Options['entry'], dts = true): Options {
  return { entry, format: ['esm'], dts, sourcemap: true, clean: true, target: 'node20' };
}
