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
import { hasVectors, NO_SHARED_REASON } from '../support/shared.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Why the browser suite is skipped, or undefined when it can run. */
export function skipReason(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is missing (apt-get install chromium): browser tests skipped`;
}

/**
 * Why a browser suite that also needs the public vectors is skipped (printed once), or
 * undefined when it can run.
 */
export function suiteSkipReason(file: string): string | undefined {
  const reason = skipReason() ?? (hasVectors ? undefined : NO_SHARED_REASON);
  if (reason) console.warn(`${file}: ${reason}`);
  return reason;
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
