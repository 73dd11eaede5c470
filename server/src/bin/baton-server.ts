/**
 * `baton-server`: runs one node. Bad configuration prints one line naming the flag and exits 2;
 * a storage failure exits 1 (restart and recover from disk); SIGINT/SIGTERM shut down cleanly
 * (leadership handed off first) and exit 0; SIGHUP reloads the --auth-tokens file and the TLS
 * certificates; a node removed from the cluster exits EXIT_REMOVED (5) after a short grace.
 * `baton-server restore …` builds a data directory from a backup (admin/restore.ts).
 */
import { EXIT_REMOVED, REMOVED_EXIT_GRACE_MS } from '../admin/removal.js';
import { runRestore } from '../admin/restore.js';
import { ConfigError, parseServerConfig, USAGE } from '../node/config.js';
import { SERVER_VERSION, startServer } from '../node/server.js';
import { DataDirLockedError } from '../storage/dir-lock.js';

async function main(): Promise<void> {
  if (process.argv[2] === 'restore') {
    process.exit(await runRestore(process.argv.slice(3), process.stdout, process.stderr));
  }
  let parsed: ReturnType<typeof parseServerConfig>;
  try {
    parsed = parseServerConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`baton-server: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`baton-server ${SERVER_VERSION}\n`);
    return;
  }
  const config = parsed.config;
  if (config.dev) {
    const auth = config.security.authTokens === null ? 'AUTH OFF' : 'auth on';
    process.stderr.write(`baton-server: --dev: single-node cluster, data in ${config.dataDir}, ${auth}\n`);
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (err) {
    if (err instanceof DataDirLockedError || (err as { code?: string }).code === 'EADDRINUSE') {
      process.stderr.write(`baton-server: ${(err as Error).message}\n`);
      process.exit(1);
    }
    // corruption and other refusals: say exactly why (the message names file and offset)
    process.stderr.write(`baton-server: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string, exitCode = 0): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`baton-server ${config.name}: ${signal}, shutting down\n`);
    const force = setTimeout(() => process.exit(exitCode === 0 ? 1 : exitCode), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(exitCode),
      (err: unknown) => {
        process.stderr.write(`baton-server: shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    server.reloadAuthTokens();
    server.reloadTls();
  });
  server.removed.then((removal) => {
    process.stderr.write(
      `baton-server ${config.name}: removed from the cluster (${removal.reason}); exiting with ${EXIT_REMOVED} in ${REMOVED_EXIT_GRACE_MS} ms\n`,
    );
    setTimeout(() => stop('removed from the cluster', EXIT_REMOVED), REMOVED_EXIT_GRACE_MS);
  });
  server.fatal.then((err) => {
    process.stderr.write(
      `baton-server ${config.name}: storage failure, exiting to recover from disk: ${err.message}\n`,
    );
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`baton-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
