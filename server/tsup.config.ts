import { defineConfig } from 'tsup';
import { packageBuild } from '../tsup.shared.js';

const library = { index: 'src/index.ts', 'raft/index': 'src/raft/index.ts' };

export default defineConfig({
  ...packageBuild({
    ...library,
    // the executables (no declarations): one node, and the local 3-node cluster of `npm start`
    'bin/baton-server': 'src/bin/baton-server.ts',
    'bin/local-cluster': 'src/bin/local-cluster.ts',
  }),
  dts: { entry: library },
});
