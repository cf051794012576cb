/**
 * The example page's real WebHID path in headless Chromium — a Trezor One on HID firmware
 * (< 1.7.0, 0x534c:0x0001). "Trezor One, old firmware (WebHID)" runs src/transport/webhid.ts
 * unmodified against a `navigator.hid` injected into the page: sendReport(0, 64 bytes) goes to a
 * VirtualTrezor T1B1 over UDP in this process, and its datagrams come back as inputreport
 * events (see fake-hid.ts). The device exposes a U2F interface next to the wire one, which the
 * page must leave alone. WebUSB is present but finds nothing, as in a real browser with such a
 * device plugged in.
 *
 * The virtual device claims its default firmware (1.14.1): the transport does not depend on
 * the version, and the vectors are those of that firmware. The PIN matrix is read over the
 * virtual device's UDP debug link (DebugLink.connect), exactly as for the official emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleServer, type ExampleServer } from '../../scripts/start.js';
import { DebugLink, VirtualTrezor } from '../../src/testing/index.js';
import { SLIP14_MNEMONIC } from '../support/fixtures.js';
import { launch, screenshot, type Browser } from './chromium.js';
import { bridgeWebHidToUdp, fakeHidState, replugHid, unplugHid } from './fake-hid.js';
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
  signEthereumMessage,
  waitForErrorCode,
  waitIdle,
} from './flows.js';
import type { UdpBridge } from './udp-bridge.js';

const MNEMONIC = SLIP14_MNEMONIC;

describe('example page: WebHID code path against a virtual Trezor One over UDP (Chromium)', () => {
  let server: ExampleServer;
  let browser: Browser;
  let bridge: UdpBridge;
  const trezorOne = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', label: 'HID One', autoConfirm: true });
  const withPin = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', label: 'HID One with PIN', pin: '1234', autoConfirm: true });
  const devices = [trezorOne, withPin];
  // Free wire + debug-link port pairs the OS hands out (port 0): no collision with a running
  // emulator or another suite.
  let trezorOnePort: { port: number; debugPort: number };
  let pinPort: { port: number; debugPort: number };

  beforeAll(async () => {
    trezorOnePort = await trezorOne.listenUdp({ port: 0 });
    pinPort = await withPin.listenUdp({ port: 0 });
    server = await startExampleServer({ port: 0, build: false });
    browser = await launch();
    bridge = await bridgeWebHidToUdp(browser.page, trezorOnePort.port);
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    await server?.close();
    for (const device of devices) await device.close();
  });

  it('finds nothing over WebUSB, then connects over WebHID to the wire interface only', async () => {
    const { page } = browser;
    await openPage(page, server.url);
    expect(await page.isEnabled('#connect-hid')).toBe(true);

    // The USB chooser lists no Trezor: the page says the choice was cancelled.
    await page.click('#connect-usb');
    expect(await waitForErrorCode(page)).toBe('ActionCancelled');
    await waitIdle(page);

    await page.click('#connect-hid');
    await checkFeatures(page, 'T1B1', 'webhid');
    expect(await page.textContent('#device-label')).toBe('HID One');
    expect(await page.textContent('#device-transport')).toContain('TREZOR');
    const state = await fakeHidState(page);
    expect(state.usbRequests).toHaveLength(1);
    expect(state.requests).toHaveLength(1);
    expect(JSON.parse(state.requests[0]!).filters).toEqual([{ vendorId: 0x534c, productId: 0x0001, usagePage: 0xff00 }]);
    // Initialize went out and Features came back as reports of the wire interface; U2F untouched.
    expect(state.reportsOut).toBeGreaterThan(0);
    expect(state.reportsIn).toBeGreaterThan(0);
    expect(state.calls.filter((c) => c.startsWith('u2f'))).toEqual([]);
    expect(state.calls[0]).toBe('wire open');
  });

  it('shows the account xpubs and receive addresses of the firmware vectors', async () => {
    await checkBitcoinAccounts(browser.page);
    await showAddressOnDevice(browser.page);
  });

  it('shows the Ethereum addresses of the vectors and signs a Bitcoin and an Ethereum message', async () => {
    const { page } = browser;
    await checkEthereumAddresses(page);
    await signBitcoinMessage(page);
    await signEthereumMessage(page);
    await screenshot(page, 'webhid-connected');
    const state = await fakeHidState(page);
    expect(state.calls.filter((c) => c.startsWith('u2f'))).toEqual([]);
  });

  it('remembers the paired device on reload (getDevices, no chooser)', async () => {
    const { page } = browser;
    await openPage(page, server.url);
    await page.waitForSelector('#device-panel:not([hidden])');
    await checkFeatures(page, 'T1B1', 'webhid');
    expect(await page.textContent('#usb-support')).toContain('Reconnected');
    const state = await fakeHidState(page);
    expect(state.requests).toEqual([]);
    expect(state.calls.filter((c) => c.startsWith('u2f'))).toEqual([]);
    await signEthereumMessage(page);
  });

  it('shows the disconnect notice when the device is unplugged, and reconnects when it is back', async () => {
    const { page } = browser;
    await unplugHid(page);
    await page.waitForSelector('#disconnected:not([hidden])');
    expect(await page.textContent('#disconnected')).toContain('The Trezor was disconnected.');
    await page.locator('#device-panel').scrollIntoViewIfNeeded();
    await screenshot(page, 'webhid-unplugged', { fullPage: false });
    // A call now fails with DeviceDisconnected instead of hanging.
    await page.click('#eth-msg-sign');
    expect(await waitForErrorCode(page)).toBe('DeviceDisconnected');
    await waitIdle(page);

    // The page does not watch navigator.hid for the device's return: the user clicks Reconnect.
    await replugHid(page);
    await page.click('#reconnect');
    await page.waitForSelector('#disconnected', { state: 'hidden' });
    await waitIdle(page);
    expect(await pageError(page)).toBeUndefined();
    await checkFeatures(page, 'T1B1', 'webhid');
    await signEthereumMessage(page);
  });

  it('answers the PIN matrix of a PIN-protected Trezor One read over the UDP debug link', async () => {
    const { page } = browser;
    const debug = await DebugLink.connect({ host: '127.0.0.1', port: pinPort.debugPort });
    try {
      await page.click('#device-disconnect');
      await page.waitForSelector('#device-panel', { state: 'hidden' });
      bridge.target(pinPort.port);
      await page.click('#connect-hid');
      await checkFeatures(page, 'T1B1', 'webhid');
      expect(await page.textContent('#device-label')).toBe('HID One with PIN');
      const readMatrix = async () => (await debug.getState()).matrix ?? '';
      await answerPinMatrix(page, '1234', readMatrix, async () => {
        expect(await page.isVisible('#pin-virtual-screen')).toBe(false); // a real device shows it
        await screenshot(page, 'webhid-pin-dialog', { fullPage: false });
      });
      await signBitcoinMessage(page);
    } finally {
      await debug.close();
    }
    expect((await fakeHidState(page)).calls.filter((c) => c.startsWith('u2f'))).toEqual([]);
    checkConsoleClean(browser.console, [MNEMONIC]);
  });
});
