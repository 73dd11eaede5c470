/**
 * The browser the status page test drives: Debian's `chromium` package, installed with apt-get
 * when it is missing and we are root (CI runs as root on a Debian machine). Playwright's own
 * browser download is not used: only the npm registry and Debian's packages are reachable.
 * Recommends are skipped (upower, udev, mesa…) except a font, so screenshots have readable text.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** apt-get update + install took about a minute here; a slow mirror gets a generous bound. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;
/** Seconds apt waits for a dpkg lock another apt run holds (another test run on the machine). */
const APT_LOCK_WAIT_S = 300;

/** Flags that keep a headless chromium quiet, sandbox-free (root) and off the network. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class ChromiumUnavailableError extends Error {
  readonly code = 'CHROMIUM_UNAVAILABLE';
}

/** Where to look and whether installing is possible; tests pass their own. */
export interface ChromiumHost {
  readonly path: string;
  readonly canInstall: boolean;
}

const THIS_HOST: ChromiumHost = {
  path: CHROMIUM_PATH,
  canInstall: process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get'),
};

/** Returns the chromium path, installing the package first if needed; throws ChromiumUnavailableError. */
export async function ensureChromium(log: (line: string) => void = () => {}, host = THIS_HOST): Promise<string> {
  if (existsSync(host.path)) return host.path;
  if (!host.canInstall) {
    throw new ChromiumUnavailableError(
      `${host.path} is missing and cannot be installed from here (needs root and apt-get): ` +
        'run `sudo apt-get update && sudo apt-get install -y chromium` and retry',
    );
  }
  const startedMs = Date.now();
  log(`installing chromium with apt-get (${CHROMIUM_PATH} is missing)…`);
  const lock = `-o DPkg::Lock::Timeout=${APT_LOCK_WAIT_S}`;
  const script = `apt-get ${lock} update -qq && apt-get ${lock} install -y -qq --no-install-recommends chromium fonts-liberation`;
  const { code, output } = await run('bash', ['-c', script], INSTALL_TIMEOUT_MS);
  if (code !== 0 || !existsSync(CHROMIUM_PATH)) {
    throw new ChromiumUnavailableError(
      `could not install chromium (apt-get exit ${code}); the end of its output:\n${output.slice(-3_000)}`,
    );
  }
  log(`chromium installed in ${Math.round((Date.now() - startedMs) / 1000)} s`);
  return CHROMIUM_PATH;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `${output}\n${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
