/**
 * Everything the harness starts (server processes, holder children, temp directories) is
 * registered here and removed when the run ends — normally, by an error, or by Ctrl-C — so a run
 * never leaves a cluster behind. Only what this process registered is touched.
 */
import { rmSync } from 'node:fs';

const pids = new Set<number>();
const dirs = new Set<string>();
let installed = false;

export function trackPid(pid: number): void {
  pids.add(pid);
}

export function untrackPid(pid: number): void {
  pids.delete(pid);
}

export function trackDir(dir: string): void {
  dirs.add(dir);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** SIGKILLs every tracked process and deletes every tracked directory (synchronous: runs at exit). */
export function cleanupNow(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Cleans up at exit and on SIGINT/SIGTERM (then exits 130/143, as a shell would). */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupNow);
  process.on('SIGINT', () => {
    process.stderr.write('\ninterrupted: stopping every process the benchmark started\n');
    cleanupNow();
    process.exit(130);
  });
  process.on('SIGTERM', () => {
    cleanupNow();
    process.exit(143);
  });
}
