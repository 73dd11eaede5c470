/**
 * The status page in a real headless browser (Debian's chromium through playwright-core), loaded
 * from a FOLLOWER of a real 3-process cluster: it shows the leader, every member, and — within a
 * bounded wait, polled by the browser, no sleeps — a lock taken over the client protocol with its
 * holder and fencing token, a waiter, an election, and the grants in the recent events. It saves
 * a screenshot to test/status/out/status-page.png.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Response, TestCluster, WsClient } from '../cluster/harness.js';
import { CHROMIUM_ARGS, ensureChromium } from './chromium.js';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'out');
/** The page polls every second; a change must show within a few polls even on a loaded machine. */
const SHOW_TIMEOUT_MS = 15_000;
const INSTALL_TIMEOUT_MS = 11 * 60_000;

function ok(r: Response): Record<string, unknown> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.result ?? {};
}

describe('status page in headless chromium', () => {
  let cluster: TestCluster;
  let browser: Browser;

  beforeAll(async () => {
    const executablePath = await ensureChromium((line) => process.stderr.write(`status page test: ${line}\n`));
    cluster = await TestCluster.start(3);
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  }, INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('shows the leader, the members, and a lock with its holder and token as soon as it is taken', async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.find((n) => n !== leader);
    if (follower === undefined) throw new Error('no follower');
    const page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
    const a = await WsClient.connect(leader.clientUrl);
    const b = await WsClient.connect(leader.clientUrl);
    try {
      await page.goto(`http://127.0.0.1:${follower.port}/`);
      await page
        .locator('#leader')
        .filter({ hasText: new RegExp(`^${leader.name}$`) })
        .waitFor({ timeout: SHOW_TIMEOUT_MS });
      expect(await page.textContent('#served-by')).toBe(follower.name);
      await page.locator('tr[data-member]').nth(2).waitFor({ timeout: SHOW_TIMEOUT_MS });
      expect(await page.locator('tr[data-member]').count()).toBe(3);
      expect(await page.locator(`tr[data-member="${leader.name}"] .badge`).textContent()).toBe('leader');

      const sa = ok(await a.request('session.open', { ttlMs: 60_000, label: 'report-worker-a' })).sessionId as string;
      const sb = ok(await b.request('session.open', { ttlMs: 60_000, label: 'report-worker-b' })).sessionId as string;
      const grant = ok(
        await a.request('lock.acquire', {
          sessionId: sa,
          name: 'jobs/nightly-report',
          wait: true,
          metadata: { host: 'worker-a', pid: 4242 },
        }),
      );
      const token = grant.token as number;
      const lockRow = page.locator('tr[data-lock="jobs/nightly-report"]');
      await lockRow.filter({ hasText: `token ${token}` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
      const lockText = (await lockRow.textContent()) ?? '';
      expect(lockText).toContain(`session ${sa}`);
      expect(lockText).toContain('"host":"worker-a"');

      // a waiter behind it, and an election, show up too
      const queued = b.request('lock.acquire', { sessionId: sb, name: 'jobs/nightly-report', wait: true });
      await lockRow.filter({ hasText: `session ${sb}` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
      ok(await a.request('election.campaign', { sessionId: sa, name: 'workers/primary', value: 'worker-a' }));
      await page
        .locator('tr[data-election="workers/primary"]')
        .filter({ hasText: 'worker-a' })
        .waitFor({ timeout: SHOW_TIMEOUT_MS });
      await page
        .locator('#recent li[data-event="granted"]')
        .filter({ hasText: `granted jobs/nightly-report to session ${sa} (token ${token})` })
        .waitFor({ timeout: SHOW_TIMEOUT_MS });
      await page.locator(`tr[data-session="${sb}"]`).waitFor({ timeout: SHOW_TIMEOUT_MS });

      mkdirSync(OUT_DIR, { recursive: true });
      await page.screenshot({ path: join(OUT_DIR, 'status-page.png'), fullPage: true });

      // hand the lock on: the page follows (the waiter becomes the holder with a larger token)
      ok(await a.request('lock.release', { sessionId: sa, name: 'jobs/nightly-report', token }));
      const next = ok(await queued).token as number;
      expect(next).toBeGreaterThan(token);
      await lockRow.filter({ hasText: `token ${next}` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
      expect(await lockRow.textContent()).toContain(`session ${sb}`);
    } finally {
      a.close();
      b.close();
      await page.close();
    }
  });
});
