/** Without chromium and without a way to install it, the browser test says what to do. */
import { describe, expect, it } from 'vitest';
import { ChromiumUnavailableError, ensureChromium } from './chromium.js';

describe('ensureChromium', () => {
  it('fails with a message naming the install command when chromium is missing and cannot be installed', async () => {
    const attempt = ensureChromium(() => {}, { path: '/nonexistent/chromium', canInstall: false });
    await expect(attempt).rejects.toBeInstanceOf(ChromiumUnavailableError);
    await expect(attempt).rejects.toThrow(/apt-get install -y chromium/);
  });

  it('uses chromium where it already is, installing nothing', async () => {
    const lines: string[] = [];
    // any existing file stands in for the binary: the check is that nothing is installed
    expect(await ensureChromium((l) => lines.push(l), { path: process.execPath, canInstall: true })).toBe(
      process.execPath,
    );
    expect(lines).toEqual([]);
  });
});
