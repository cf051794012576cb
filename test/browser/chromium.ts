/**
 * Launching Debian's Chromium for the browser tests: playwright-core (no bundled browser
 * download) on /usr/bin/chromium, headless, with a fresh profile per launch, and the flags
 * that keep it from talking to Google's servers while the tests run.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Throws, with what to install, when Debian's Chromium is missing: the browser suite fails
 * rather than skip, so a machine without it cannot report a green run (CI installs it).
 */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: the browser suite needs Debian's Chromium. ` +
        'Install it (sudo apt-get install chromium), then run npm run test:browser again.',
    );
  }
}

const FLAGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Messages the page printed on its console (checked: nothing secret may appear). */
  console: string[];
  close(): Promise<void>;
}

/** A fresh headless Chromium with one page. */
export async function launch(): Promise<Browser> {
  requireChromium();
  const profile = await mkdtemp(join(tmpdir(), 'trezor-direct-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport: { width: 1100, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const console: string[] = [];
  page.on('console', (message) => console.push(message.text()));
  page.on('pageerror', (error) => console.push(`pageerror: ${error.message}`));
  return {
    context,
    page,
    console,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * test-results/<name>.png (the directory is gitignored). The whole page by default; only the
 * viewport for modal dialogs, which is what the user sees of them.
 */
export async function screenshot(page: Page, name: string, { fullPage = true }: { fullPage?: boolean } = {}): Promise<string> {
  await mkdir('test-results', { recursive: true });
  const path = join('test-results', `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}
