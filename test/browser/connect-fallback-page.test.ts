/**
 * The example page's Trezor Connect fallback in headless Chromium. With navigator.usb and
 * navigator.hid taken away by an init script (as in Firefox and Safari) the page offers "Use
 * Trezor Connect" instead of the USB buttons; with them present it does not.
 *
 * End to end without connect.trezor.io (no network here): the page's test-only hook
 * (`window.__trezorDirectTestConnect`, read only with ?test) gets a stand-in whose methods
 * forward, through playwright's exposeFunction, to @trezor/connect's Node build in this process,
 * which talks over UDP to a VirtualTrezor with the SLIP-14 seed (as test/support/connect-paths.ts
 * sets it up). So the page's panels run through fromTrezorConnect() and real Connect, and the
 * firmware's vectors must come out. The real @trezor/connect-web bundle is loaded too, as far as
 * it goes offline: init() with lazyLoad creates nothing remote, and the panels appear.
 */
import * as connectModule from '@trezor/connect';
import { UdpTransport } from '@trezor/transport';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startExampleServer, type ExampleServer } from '../../scripts/start.js';
import { listenUdp } from '../../src/testing/node.js';
import { VirtualTrezor } from '../../src/testing/virtual/device.js';
import { SLIP14_MNEMONIC } from '../support/fixtures.js';
import { launch, type Browser } from './chromium.js';
import { checkConsoleClean, checkEthereumAddresses, openPage, pageError, signBitcoinMessage, signEthereumMessage, waitIdle } from './flows.js';

// @trezor/connect is CommonJS: its default export arrives as `.default` (once more under Node's ESM interop).
const moduleExports = connectModule as unknown as { default: { default?: unknown } };
const TrezorConnect = (moduleExports.default.default ?? moduleExports.default) as typeof connectModule.default;

/** What Firefox and Safari lack. */
const NO_USB_APIS = `delete Navigator.prototype.usb; delete Navigator.prototype.hid;`;

/** The page-side stand-in: every TrezorConnect method the page calls goes to Node. */
const STAND_IN = `
  window.__trezorDirectTestConnect = Object.fromEntries(
    ['init', 'cancel', 'getAddress', 'getPublicKey', 'signTransaction', 'signMessage',
     'ethereumGetAddress', 'ethereumSignTransaction', 'ethereumSignMessage', 'ethereumSignTypedData']
      .map((method) => [method, (params) => window.__connectForward(method, params ?? null)]));
`;

describe('example page: Trezor Connect fallback where WebUSB and WebHID are missing (Chromium)', () => {
  let server: ExampleServer;
  let browser: Browser;
  let device: VirtualTrezor;
  /** What the page passed to TrezorConnect.init(). */
  const inits: unknown[] = [];

  beforeAll(async () => {
    server = await startExampleServer({ port: 0, build: false });
    browser = await launch();
    // Offline, Connect warns that it cannot fetch Ethereum definitions (data.trezor.io): expected.
    const warn = console.warn.bind(console);
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('unable to download or parse')) return;
      warn(...args);
    });
    device = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, model: 'T2T1', autoConfirm: true });
    const { port } = await listenUdp(device, { port: 0 });
    const path = `127.0.0.1:${port}`;
    // Connect's UdpTransport only looks at 127.0.0.1:21324: aim its enumerate() at our port.
    class VirtualUdpTransport extends UdpTransport {
      constructor(params: ConstructorParameters<typeof UdpTransport>[0]) {
        super(params);
        const api = (this as unknown as { api: Record<string, unknown> & { type: string } }).api;
        api.enumerate = async function (this: typeof api & Record<string, (...a: unknown[]) => unknown>, signal?: AbortSignal) {
          const up = await this.ping!(path, signal);
          const found = up ? [{ path, type: 1, product: 0, vendor: 0, id: path, apiType: this.type }] : [];
          this.handleDevicesChange!(found);
          return this.success!(found);
        };
      }
    }
    await TrezorConnect.init({
      manifest: { appName: 'trezor-direct browser tests', email: 'tests@example.invalid', appUrl: 'http://127.0.0.1' },
      transports: [VirtualUdpTransport as never],
      popup: false,
      lazyLoad: false,
    } as never);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await TrezorConnect.dispose();
    await device?.close();
  });

  async function freshPage(initScripts: string[]): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => browser.console.push(`pageerror: ${error.message}`));
    for (const script of initScripts) await page.addInitScript(script);
    return page;
  }

  it('with WebUSB present it shows the USB buttons and no Connect fallback', async () => {
    const { page } = browser;
    await openPage(page, server.url);
    expect(await page.isVisible('#connect-usb')).toBe(true);
    expect(await page.isVisible('#connect-trezor-connect')).toBe(false);
    expect(await page.getAttribute('#usb-support', 'data-support')).toBe('webusb');
  });

  it('without WebUSB and WebHID it offers Trezor Connect instead of the USB buttons; the bundled Connect initialises', async () => {
    const page = await freshPage([NO_USB_APIS]);
    await openPage(page, server.url);
    expect(await page.getAttribute('#usb-support', 'data-support')).toBe('none');
    expect(await page.isVisible('#connect-usb')).toBe(false);
    expect(await page.isVisible('#connect-hid')).toBe(false);
    expect(await page.isVisible('#connect-trezor-connect')).toBe(true);
    expect(await page.textContent('#connect-fallback')).toContain('connect.trezor.io');
    // The real @trezor/connect-web, bundled from node_modules by scripts/start.ts: with lazyLoad
    // its init() loads nothing remote, so it succeeds offline and the coin panels appear.
    await page.click('#connect-trezor-connect');
    await page.waitForSelector('#ethereum-panel:not([hidden])');
    await waitIdle(page);
    expect(await pageError(page)).toBeUndefined();
    expect(await page.isVisible('#bitcoin-panel')).toBe(true);
    expect(await page.isVisible('#connect-install')).toBe(false);
    expect(await page.isVisible('#device-panel')).toBe(false);
    await page.close();
  });

  it('built without @trezor/connect-web, the click shows how to install it and does nothing else', async () => {
    const page = await freshPage([NO_USB_APIS]);
    // What a build without it serves: no vendor file.
    await page.route('**/vendor/trezor-connect-web.js', (route) => route.fulfill({ status: 404, body: 'Not found' }));
    await openPage(page, server.url);
    await page.click('#connect-trezor-connect');
    await page.waitForSelector('#connect-install:not([hidden])');
    await waitIdle(page);
    expect(await page.textContent('#connect-install')).toContain('npm install @trezor/connect-web');
    expect(await pageError(page)).toBeUndefined();
    for (const panel of ['#bitcoin-panel', '#ethereum-panel', '#device-panel']) expect(await page.isVisible(panel)).toBe(false);
    await page.close();
  });

  it('runs the Bitcoin and Ethereum panels through fromTrezorConnect (stand-in forwarding to Connect on a VirtualTrezor)', async () => {
    const page = await freshPage([NO_USB_APIS, STAND_IN]);
    await page.exposeFunction('__connectForward', async (method: string, params: unknown) => {
      if (method === 'init') return void inits.push(params);
      const call = (TrezorConnect as unknown as Record<string, (p: unknown) => unknown>)[method]!;
      return call.call(TrezorConnect, params);
    });
    await openPage(page, `${server.url}?test`);
    await page.click('#connect-trezor-connect');
    await page.waitForSelector('#ethereum-panel:not([hidden])');
    await waitIdle(page);
    expect(await pageError(page)).toBeUndefined();
    // Initialised as Connect documents it: a manifest, and lazyLoad.
    expect(inits).toEqual([{ manifest: { appName: expect.any(String), email: expect.stringContaining('@'), appUrl: new URL(server.url).origin }, lazyLoad: true }]);
    await checkEthereumAddresses(page);
    await signEthereumMessage(page);
    await signBitcoinMessage(page);
    expect(await pageError(page)).toBeUndefined();
    await page.close();
  });

  it('printed nothing secret and no page errors', () => {
    checkConsoleClean(browser.console, [SLIP14_MNEMONIC]);
    expect(browser.console.filter((line) => line.startsWith('pageerror'))).toEqual([]);
  });
});
