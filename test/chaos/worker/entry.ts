/** The client worker's own entry point (the short-mode test builds this one; the CLI uses `cli.js --worker`). */
import { runWorker } from './worker-main.js';

runWorker();
