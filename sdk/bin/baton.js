#!/usr/bin/env node
// The `baton` bin: loads the built CLI. Kept outside dist/ so the link exists on a fresh clone
// right after `npm ci`; `npm run build` produces what it loads.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('baton: not built yet; run `npm run build` in the repository root first\n');
  process.exit(2);
}
await import(entry.href);
