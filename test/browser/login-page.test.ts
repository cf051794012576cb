/**
 * "Log in with Trezor" on the example page in headless Chromium: the virtual Trezor signs the
 * challenge of the page's own server (/api/login/, scripts/login-route.ts), the server logs it
 * in, and sending the same login again is refused as a replay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleServer, type ExampleServer } from '../../scripts/start.js';
import { launch, type Browser } from './chromium.js';
import { openPage, pageError, waitForText, waitIdle } from './flows.js';

describe('example page: Log in with Trezor (Chromium)', () => {
  let server: ExampleServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startExampleServer({ port: 0, build: false });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('logs in once with the virtual Trezor; the replay is refused', async () => {
    const { page } = browser;
    await openPage(page, `${server.url}?test`);
    await page.setChecked('#virtual-autoconfirm', true);
    await page.click('#connect-virtual');
    await page.waitForSelector('#login-panel:not([hidden])');
    await waitIdle(page);
    await page.click('#login-run');
    expect(await waitForText(page, '#login-result')).toBe('200 logged in');
    const account = await waitForText(page, '#login-account');
    expect(account).toMatch(/^0[23][0-9a-f]{64}$/);
    await page.evaluate(() => (document.getElementById('login-result')!.textContent = ''));
    await page.click('#login-replay');
    expect(await waitForText(page, '#login-result')).toBe('401 refused: replayed');
    await waitIdle(page);
    expect(await pageError(page)).toBeUndefined();
    // Logging in again with a fresh challenge gives the same account.
    await page.evaluate(() => (document.getElementById('login-account')!.textContent = ''));
    await page.click('#login-run');
    expect(await waitForText(page, '#login-account')).toBe(account);
  });
});
