/**
 * The example page in headless Chromium with the virtual Trezor running inside the page
 * ("Use virtual Trezor"): connect, features, SLIP-14 Bitcoin and Ethereum vectors, message,
 * PSBT, typed data and EIP-1559 signing, the confirm banner with Cancel, the passphrase dialog
 * and the Trezor One PIN matrix answered by clicking the grid.
 *
 * The PIN matrix is read through the page's test hook (`?test`), which asks the virtual
 * device's debug link for its screen, the way trezor-firmware's device tests read it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleServer, type ExampleServer } from '../../scripts/start.js';
import { SLIP14_MNEMONIC } from '../support/fixtures.js';
import { launch, screenshot, type Browser } from './chromium.js';
import {
  answerPinMatrix,
  checkBitcoinAccounts,
  checkConsoleClean,
  checkEthereumAddresses,
  checkFeatures,
  firmwareVersion,
  openPage,
  pageError,
  showAddressOnDevice,
  signBitcoinMessage,
  signEip1559,
  signEthereumMessage,
  signPsbt,
  signTypedData,
  vectors,
  waitForErrorCode,
  waitForText,
  waitIdle,
} from './flows.js';

const MNEMONIC = SLIP14_MNEMONIC;
const PASSPHRASE = 'correct horse battery staple';

interface TestHook {
  pinMatrix(): Promise<string>;
}

describe('example page: virtual Trezor in the page (Chromium)', () => {
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

  async function connectVirtual(options: { model?: 'T1B1' | 'T2T1' | 'T2T1@2.8.9' | 'T3T1' | 'T2B1'; pin?: string; passphrase?: boolean; autoConfirm?: boolean } = {}) {
    const { page } = browser;
    // The options fold away once a device is connected; unfold them as a user would.
    if (!(await page.$eval('#virtual-options', (d) => (d as HTMLDetailsElement).open))) await page.click('#virtual-options summary');
    await page.selectOption('#virtual-model', options.model ?? 'T1B1');
    await page.fill('#virtual-pin', options.pin ?? '');
    await page.setChecked('#virtual-passphrase', options.passphrase ?? false);
    await page.setChecked('#virtual-autoconfirm', options.autoConfirm ?? true);
    await page.click('#connect-virtual');
    await page.waitForSelector('#device-panel:not([hidden])');
    await waitIdle(page);
    expect(await pageError(page)).toBeUndefined();
  }

  it('opens with the SLIP-14 seed prefilled and says which USB APIs this browser has', async () => {
    const { page } = browser;
    await openPage(page, `${server.url}?test`);
    expect(await page.inputValue('#virtual-mnemonic')).toBe(MNEMONIC);
    expect(await page.getAttribute('#usb-support', 'data-support')).toBe('webusb');
    expect(await page.isEnabled('#connect-usb')).toBe(true);
  });

  it('connects a virtual Trezor One and shows its features', async () => {
    await connectVirtual();
    await checkFeatures(browser.page, 'T1B1', 'virtual');
    expect(await browser.page.textContent('#device-pin')).toBe('no');
    expect(await browser.page.textContent('#device-label')).toBe('Virtual Trezor');
  });

  it('shows the account xpubs and receive addresses of the firmware vectors', async () => {
    await checkBitcoinAccounts(browser.page);
    await showAddressOnDevice(browser.page);
  });

  it('signs a Bitcoin message byte-exact', async () => {
    await signBitcoinMessage(browser.page);
  });

  it('builds a PSBT from pasted UTXOs and signs it', async () => {
    await signPsbt(browser.page);
  });

  it('shows the Ethereum addresses of the fixtures', async () => {
    await checkEthereumAddresses(browser.page);
  });

  it('signs an EIP-191 message, EIP-712 typed data and EIP-1559 transactions byte-exact', async () => {
    await signEthereumMessage(browser.page);
    await signTypedData(browser.page);
    await signEip1559(browser.page);
    await screenshot(browser.page, 'virtual-connected');
  });

  it('runs a virtual Model T as well; what its firmware lacks shows as NotSupported', async () => {
    const { page } = browser;
    await connectVirtual({ model: 'T2T1' });
    await checkFeatures(page, 'T2T1', 'virtual');
    await checkBitcoinAccounts(page);
    await signBitcoinMessage(page);
    await signPsbt(page);
    await checkEthereumAddresses(page);
    await signEthereumMessage(page);
    // The virtual Model T is the firmware its recordings came from; EIP-712 needs 2.4.3.
    if ((await firmwareVersion(page)) >= 2_004_003) {
      await signTypedData(page);
    } else {
      await page.click('#eth-typed-sign');
      expect(await waitForErrorCode(page)).toBe('NotSupported');
      expect(await page.textContent('#error-message')).toContain('2.4.3');
      await waitIdle(page);
    }
  });

  for (const [model, name] of [['T3T1', 'Safe 5'], ['T2B1', 'Safe 3']] as const) {
    it(`runs a virtual ${name} (${model}, firmware 2.8.9) through the same vectors`, async () => {
      const { page } = browser;
      await connectVirtual({ model });
      await checkFeatures(page, model, 'virtual');
      expect(await page.textContent('#device-model')).toBe(`Trezor ${name} (${model})`);
      expect(await page.textContent('#device-firmware')).toBe('2.8.9');
      await checkBitcoinAccounts(page);
      await signBitcoinMessage(page);
      await signPsbt(page);
      await checkEthereumAddresses(page);
      await signEthereumMessage(page);
      await signTypedData(page);
      await signEip1559(page);
    });
  }

  it('shows "Confirm on your Trezor" with Cancel, and a press-yes control when auto-confirm is off', async () => {
    const { page } = browser;
    await connectVirtual({ autoConfirm: false });
    await page.fill('#eth-path', "m/44'/60'/0'/0/0");

    await page.click('#eth-address-show');
    await page.waitForSelector('#confirm-banner:not([hidden])');
    expect(await page.isVisible('#virtual-press-yes')).toBe(true);
    await page.click('#confirm-cancel');
    expect(await waitForErrorCode(page)).toBe('ActionCancelled');
    await waitIdle(page);
    expect(await page.isVisible('#confirm-banner')).toBe(false);

    await page.evaluate(() => (document.getElementById('eth-address')!.textContent = ''));
    await page.click('#eth-address-show');
    await page.waitForSelector('#confirm-banner:not([hidden])');
    await page.click('#virtual-press-yes');
    expect(await waitForText(page, '#eth-address')).toBe(vectors().eth_addresses[1].expected);
    await waitIdle(page);
    expect(await page.isVisible('#confirm-banner')).toBe(false);
  });

  it('asks for the passphrase in a dialog and opens a different wallet with it', async () => {
    const { page } = browser;
    await connectVirtual({ model: 'T2T1', passphrase: true });
    expect(await page.textContent('#device-passphrase')).toBe('yes');
    await page.fill('#eth-path', "m/44'/60'/0'/0/0");
    await page.evaluate(() => (document.getElementById('eth-address')!.textContent = ''));
    await page.click('#eth-address-get');
    await page.waitForSelector('#passphrase-dialog[open]');
    // The Model T has a keyboard: the dialog offers to type the passphrase there instead.
    expect(await page.isVisible('#passphrase-on-device')).toBe(true);
    await page.fill('#passphrase-input', PASSPHRASE);
    await page.click('#passphrase-submit');
    const address = await waitForText(page, '#eth-address');
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(address).not.toBe(vectors().eth_addresses[1].expected);
    expect(await page.inputValue('#passphrase-input')).toBe('');
  });

  it('answers the PIN matrix of a PIN-protected virtual Trezor One by clicking the grid', async () => {
    const { page } = browser;
    await connectVirtual({ model: 'T1B1', pin: '1234' });
    await checkFeatures(page, 'T1B1', 'virtual');
    const readMatrix = () => page.evaluate(() => (window as unknown as { __trezorDirectTest: TestHook }).__trezorDirectTest.pinMatrix());
    await answerPinMatrix(page, '1234', readMatrix, async () => {
      // The virtual device's screen is drawn next to the blank grid for the demo.
      expect(await page.isVisible('#pin-virtual-screen')).toBe(true);
      await screenshot(page, 'virtual-pin-dialog', { fullPage: false });
    });
    expect(await page.textContent('#device-pin')).toBe('yes');
  });

  it('locks the device: the next call asks for the PIN again', async () => {
    const { page } = browser;
    await page.click('#device-lock');
    await waitIdle(page);
    expect(await page.textContent('#device-unlocked')).toBe('no');
    await page.click('#eth-address-get');
    await page.waitForSelector('#pin-dialog[open]');
    await page.keyboard.press('Escape');
    expect(await waitForErrorCode(page)).toBe('PinCancelled');
    await waitIdle(page);
  });

  it('signs after unlocking with the PIN again', async () => {
    const { page } = browser;
    const readMatrix = () => page.evaluate(() => (window as unknown as { __trezorDirectTest: TestHook }).__trezorDirectTest.pinMatrix());
    await page.click('#eth-address-get');
    await page.waitForSelector('#pin-dialog[open]');
    const matrix = await readMatrix();
    for (const digit of '1234') await page.click(`#pin-dialog [data-pin-position="${matrix.indexOf(digit) + 1}"]`);
    await page.click('#pin-submit');
    await waitIdle(page);
    expect(await pageError(page)).toBeUndefined();
    await signPsbt(page);
    await signEip1559(page, ['nodata']);
  });

  it('refuses a Trezor One PIN with a 0 (its matrix has none), keeping the connected device', async () => {
    const { page } = browser;
    if (!(await page.$eval('#virtual-options', (d) => (d as HTMLDetailsElement).open))) await page.click('#virtual-options summary');
    await page.selectOption('#virtual-model', 'T1B1');
    await page.fill('#virtual-pin', '1230');
    await page.click('#connect-virtual');
    expect(await waitForErrorCode(page)).toBe('InvalidParameters');
    expect(await page.textContent('#error-message')).toContain('digits 1-9');
    expect(await page.textContent('#error-message')).not.toContain('1230');
    expect(await page.isVisible('#device-panel')).toBe(true);
    await page.fill('#virtual-pin', '');
  });

  it('disconnects on request, and never logs a secret', async () => {
    const { page } = browser;
    await page.click('#device-disconnect');
    await page.waitForSelector('#device-panel', { state: 'hidden' });
    expect(await page.isVisible('#bitcoin-panel')).toBe(false);
    checkConsoleClean(browser.console, [MNEMONIC, PASSPHRASE]);
  });

  it('explains that USB needs Chromium where the browser has neither WebUSB nor WebHID', async () => {
    const other = await browser.context.newPage();
    try {
      // What Firefox and Safari look like to the page.
      await other.addInitScript(() => {
        delete (Navigator.prototype as { usb?: unknown }).usb;
        delete (Navigator.prototype as { hid?: unknown }).hid;
      });
      await openPage(other, server.url);
      expect(await other.getAttribute('#usb-support', 'data-support')).toBe('none');
      expect(await other.textContent('#usb-support')).toContain('Firefox and Safari');
      expect(await other.isDisabled('#connect-usb')).toBe(true);
      expect(await other.isDisabled('#connect-hid')).toBe(true);
      // The virtual device still works there.
      await other.click('#connect-virtual');
      await other.waitForSelector('#device-panel:not([hidden])');
    } finally {
      await other.close();
    }
  });
});
