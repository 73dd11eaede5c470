/**
 * Every process and directory a chaos run makes, so that a run that ends early — Ctrl-C or a
 * SIGTERM to `npm run chaos`, or an exception past the run's own cleanup — leaves no server or
 * worker running and no data directory behind. The `exit` handler is synchronous (kill, rm),
 * as `exit` handlers must be.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

export function trackChild(proc: ChildProcess): void {
  install();
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
}

/** A directory removed at exit unless `untrackDir` was called first (a run that keeps its data). */
export function trackDir(path: string): void {
  install();
  dirs.add(path);
}

export function untrackDir(path: string): void {
  dirs.delete(path);
}

/** Kills what is still running and removes the tracked directories (idempotent). */
export function cleanupTracked(): void {
  for (const proc of children) {
    try {
      // SIGKILL also ends a SIGSTOPped process
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupTracked);
}
