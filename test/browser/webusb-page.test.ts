/**
 * The example page's real WebUSB path in headless Chromium: "Connect Trezor (USB)" runs
 * src/transport/webusb.ts unmodified against a `navigator.usb` injected into the page, whose
 * transfers are carried to VirtualTrezors listening on UDP in this process (see fake-usb.ts).
 * Same flows as the in-page virtual device, plus what only USB has: the chooser and its
 * filters, the remembered pairing on reload, and unplug / replug.
 *
 * The PIN matrix is read over the virtual device's UDP debug link (DebugLink.connect), exactly
 * as for the official emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleServer, type ExampleServer } from '../../scripts/start.js';
import { DebugLink, VirtualTrezor } from '../../src/testing/index.js';
import { SLIP14_MNEMONIC } from '../support/fixtures.js';
import { launch, screenshot, type Browser } from './chromium.js';
import { bridgeWebUsbToUdp, type UdpBridge } from './fake-usb.js';
import {
  answerPinMatrix,
  checkBitcoinAccounts,
  checkConsoleClean,
  checkEthereumAddresses,
  checkFeatures,
  openPage,
  pageError,
  showAddressOnDevice,
  signBitcoinMessage,
  signEip1559,
  signEthereumMessage,
  signPsbt,
  signTypedData,
  waitIdle,
} from './flows.js';

const MNEMONIC = SLIP14_MNEMONIC;

describe('example page: WebUSB code path against a virtual Trezor over UDP (Chromium)', () => {
  let server: ExampleServer;
  let browser: Browser;
  let bridge: UdpBridge;
  const trezorOne = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', label: 'UDP One', autoConfirm: true });
  const withPin = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', label: 'UDP One with PIN', pin: '1234', autoConfirm: true });
  const modelT = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T2T1', label: 'UDP Model T', autoConfirm: true });
  const setup = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', label: 'UDP setup', autoConfirm: true });
  const devices = [trezorOne, withPin, modelT, setup];
  // Wire and debug-link ports of each device: free pairs the OS hands out (port 0), so a
  // running emulator or another suite never collides with these.
  let trezorOnePort: { port: number; debugPort: number };
  let pinPort: { port: number; debugPort: number };
  let modelTPort: { port: number; debugPort: number };
  let setupPort: { port: number; debugPort: number };

  beforeAll(async () => {
    trezorOnePort = await trezorOne.listenUdp({ port: 0 });
    pinPort = await withPin.listenUdp({ port: 0 });
    modelTPort = await modelT.listenUdp({ port: 0 });
    setupPort = await setup.listenUdp({ port: 0 });
    server = await startExampleServer({ port: 0, build: false });
    browser = await launch();
    bridge = await bridgeWebUsbToUdp(browser.page, trezorOnePort.port);
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    await server?.close();
    for (const device of devices) await device.close();
  });

  it('connects through the chooser with the Trezor filters', async () => {
    const { page } = browser;
    await openPage(page, server.url);
    await page.click('#connect-usb');
    await checkFeatures(page, 'T1B1', 'webusb');
    expect(await page.textContent('#device-label')).toBe('UDP One');
    const requests = await page.evaluate(() => (window as unknown as { __fakeUsb: { requests: string[] } }).__fakeUsb.requests);
    expect(requests).toHaveLength(1);
    expect(JSON.parse(requests[0]!).filters).toEqual([
      { vendorId: 0x1209, productId: 0x53c1 },
      { vendorId: 0x1209, productId: 0x53c0 },
    ]);
  });

  it('shows the account xpubs and receive addresses of the firmware vectors', async () => {
    await checkBitcoinAccounts(browser.page);
    await showAddressOnDevice(browser.page);
  });

  it('signs a Bitcoin message and a PSBT', async () => {
    await signBitcoinMessage(browser.page);
    await signPsbt(browser.page);
  });

  it('shows Ethereum addresses and signs a message, typed data and EIP-1559 transactions', async () => {
    await checkEthereumAddresses(browser.page);
    await signEthereumMessage(browser.page);
    await signTypedData(browser.page);
    await signEip1559(browser.page);
    await screenshot(browser.page, 'webusb-connected');
  });

  it('notices an unplug and reopens the device when it comes back', async () => {
    const { page } = browser;
    await page.evaluate(() => (window as unknown as { __fakeUsb: { unplug(): void } }).__fakeUsb.unplug());
    await page.waitForSelector('#disconnected:not([hidden])');
    // The page listens for navigator.usb "connect" and reconnects by itself.
    await page.evaluate(() => (window as unknown as { __fakeUsb: { replug(): void } }).__fakeUsb.replug());
    await page.waitForSelector('#disconnected', { state: 'hidden' });
    await waitIdle(page);
    expect(await pageError(page)).toBeUndefined();
    await checkFeatures(page, 'T1B1', 'webusb');
  });

  it('remembers the paired device on reload (getDevices, no chooser)', async () => {
    const { page } = browser;
    await openPage(page, server.url);
    await page.waitForSelector('#device-panel:not([hidden])');
    await checkFeatures(page, 'T1B1', 'webusb');
    expect(await page.textContent('#usb-support')).toContain('Reconnected');
    const requests = await page.evaluate(() => (window as unknown as { __fakeUsb: { requests: string[] } }).__fakeUsb.requests);
    expect(requests).toEqual([]);
    await signEthereumMessage(page);
  });

  /** Point the fake USB device at another UDP device and connect to it (paired: no chooser). */
  async function switchTo(port: number, model: 'T1B1' | 'T2T1') {
    const { page } = browser;
    await page.click('#device-disconnect');
    await page.waitForSelector('#device-panel', { state: 'hidden' });
    bridge.target(port);
    await page.click('#connect-usb');
    await checkFeatures(page, model, 'webusb');
  }

  it('answers the PIN matrix of a PIN-protected Trezor One read over the UDP debug link', async () => {
    const { page } = browser;
    const debug = await DebugLink.connect({ host: '127.0.0.1', port: pinPort.debugPort });
    try {
      await switchTo(pinPort.port, 'T1B1');
      const readMatrix = async () => (await debug.getState()).matrix ?? '';
      await answerPinMatrix(page, '1234', readMatrix, async () => {
        expect(await page.isVisible('#pin-virtual-screen')).toBe(false); // a real device shows it
        await screenshot(page, 'webusb-pin-dialog', { fullPage: false });
      });
      await signPsbt(page);
      await signEip1559(page, ['nodata']);
    } finally {
      await debug.close();
    }
  });

  it('"Set up a Trezor" over WebUSB: wipe, then recover on the blank grid, the screen read over the UDP debug link', async () => {
    const { page } = browser;
    const debug = await DebugLink.connect({ host: '127.0.0.1', port: setupPort.debugPort });
    try {
      await switchTo(setupPort.port, 'T1B1');
      await page.click('#setup-wipe');
      await waitIdle(page);
      expect(await page.textContent('#device-initialized')).toBe('no');
      await page.selectOption('#setup-words', '12');
      await page.selectOption('#setup-input', 'matrix');
      await page.fill('#setup-new-label', 'USB recovered');
      await page.click('#setup-recover');
      const words = MNEMONIC.split(' ');
      let keys = 0;
      for (;;) {
        const open = await (
          await page.waitForFunction(() => (document.getElementById('word-dialog') as HTMLDialogElement).open || (document.body.dataset.busy === undefined ? 'idle' : false))
        ).jsonValue();
        if (open === 'idle') break;
        // A real device's grid: blank keys here, the letter groups only on its screen.
        expect(await page.isVisible('#word-virtual-screen')).toBe(false);
        expect(await page.$$eval('#word-grid [data-word-key]', (b) => b.map((x) => x.textContent).join(''))).toBe('');
        const screen = new TextDecoder().decode((await debug.getState()).layout).replace(/\0+$/, '').split('\n');
        const word = words[Number(/^Word (\d+) of/.exec(screen[0]!)![1]) - 1]!;
        const line = screen.slice(1).find((l) => {
          const m = /^\d: ([a-z]+)(?:-([a-z]+))?$/.exec(l);
          return m !== null && m[1]! <= word && word <= (m[2] ?? m[1]!);
        })!;
        await page.click(`#word-grid [data-word-key="${line[0]}"]`);
        keys++;
      }
      expect(await pageError(page)).toBeUndefined();
      expect(keys).toBeGreaterThanOrEqual(12 * 2);
      expect(await page.textContent('#device-initialized')).toBe('yes');
      expect(await page.textContent('#device-label')).toBe('USB recovered');
      await checkEthereumAddresses(page);
    } finally {
      await debug.close();
    }
  });

  it('talks to a Model T the same way', async () => {
    const { page } = browser;
    await switchTo(modelTPort.port, 'T2T1');
    await checkBitcoinAccounts(page);
    await signBitcoinMessage(page);
    await checkEthereumAddresses(page);
    await signEthereumMessage(page);
    checkConsoleClean(browser.console, [MNEMONIC]);
  });
});
