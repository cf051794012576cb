/**
 * The library's THP client in headless Chromium over WebUSB: the page runs `connect({ transport:
 * webUsb() })` (src/transport/webusb.ts and the THP link, bundled for the browser) against the
 * injected `navigator.usb` of fake-usb.ts, whose transfers reach a virtual Safe 7
 * (VirtualTrezor THP mode) on UDP in this process. The user's part — reading the pairing code
 * off the device — goes through the virtual device's UDP debug link, exposed to the page as one
 * function. It pairs, gets the SLIP-14 addresses, signs the EIP-1559 vector, stores the
 * credential in localStorage, and after a reload connects with it without pairing.
 */
import { build } from 'esbuild';
import { Transaction as EthTransaction } from 'ethers';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DebugLink, VirtualTrezor } from '../../src/testing/index.js';
import { SLIP14_MNEMONIC, loadVectors } from '../support/fixtures.js';
import { launch, type Browser } from './chromium.js';
import { bridgeWebUsbToUdp, type UdpBridge } from './fake-usb.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PAGE_URL = 'http://localhost:9/thp.html';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const vectors: any = loadVectors();
const BTC_ADDRESS = vectors.btc_addresses.find((v: { path: string; coin: string }) => v.path === "m/84'/0'/0'/1/0" && v.coin === 'Bitcoin');
const ETH = vectors.eth_sign_tx.find((v: { type: string }) => v.type === 'eip1559');

/** What the page runs: one connect (pairing if it must), two reads and one signature. */
const PAGE_SCRIPT = `
import { connect, webUsb } from './src/index.ts';
import { getAddress } from './src/bitcoin/index.ts';
import { signTransaction } from './src/ethereum/index.ts';
window.__thpRun = async (btcPath, eth) => {
  const stored = JSON.parse(localStorage.getItem('thp-credentials') || '[]');
  let paired = 0;
  const trezor = await connect({
    transport: webUsb(),
    appName: 'chromium test',
    credentials: stored,
    onCredentials: (c) => localStorage.setItem('thp-credentials', JSON.stringify([...stored, c])),
    ui: { pairing: async () => { paired++; return { code: await window.__readPairingCode() }; } },
  });
  const result = {
    protocol: trezor.protocol,
    model: trezor.features.internal_model,
    paired,
    stored: JSON.parse(localStorage.getItem('thp-credentials') || '[]').length,
    btc: await getAddress(trezor, { path: btcPath }),
    eth: await signTransaction(trezor, { path: eth.path, tx: eth.tx }),
  };
  await trezor.close();
  return result;
};
`;

describe('THP over WebUSB in Chromium, against a virtual Safe 7', () => {
  let browser: Browser;
  let bridge: UdpBridge;
  let debug: DebugLink;
  const safe7 = new VirtualTrezor({ model: 'T3W1', mnemonic: SLIP14_MNEMONIC, autoConfirm: true });
  let bundle: string;

  beforeAll(async () => {
    const { port, debugPort } = await safe7.listenUdp({ port: 22602 });
    debug = await DebugLink.connect({ port: debugPort });
    const built = await build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: root, loader: 'ts', sourcefile: 'thp-page.ts' },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    bundle = built.outputFiles[0]!.text;
    browser = await launch();
    // A page of its own (the example page's CSP forbids inline scripts), on a secure origin.
    await browser.page.route(PAGE_URL, (route) =>
      route.fulfill({ contentType: 'text/html', body: `<!doctype html><title>THP</title><script>${bundle.replace(/<\/script/gi, '<\\/script')}</script>` }),
    );
    bridge = await bridgeWebUsbToUdp(browser.page, port);
    await browser.page.exposeFunction('__readPairingCode', async () => {
      for (let i = 0; i < 100; i++) {
        const code = /Pairing code\s*(\d{6})/.exec(await debug.readLayout())?.[1];
        if (code) return code;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('no pairing code on the screen');
    });
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    await debug?.close();
    await safe7.close();
  });

  const run = async () => {
    const { page } = browser;
    await page.goto(PAGE_URL);
    const p = ETH.parameters;
    const tx = { type: 2, chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, to: p.to_address, value: p.value, data: `0x${p.data}`, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee };
    return page.evaluate(([btcPath, eth]) => (window as unknown as { __thpRun: (a: unknown, b: unknown) => Promise<Record<string, unknown>> }).__thpRun(btcPath, eth), [
      BTC_ADDRESS.path,
      { path: p.path, tx },
    ] as const);
  };

  it('pairs by code through the page, reads the vectors and signs EIP-1559', async () => {
    const result = await run();
    expect(result).toMatchObject({ protocol: 'thp', model: 'T3W1', paired: 1, stored: 1, btc: BTC_ADDRESS.expected });
    const signature = EthTransaction.from(result.eth as string).signature!;
    expect(signature.r).toBe(`0x${ETH.expected.sig_r}`);
    expect(signature.s).toBe(`0x${ETH.expected.sig_s}`);
    expect(signature.yParity).toBe(ETH.expected.sig_v);
  });

  it('after a reload, connects with the stored credential without pairing', async () => {
    const result = await run();
    expect(result).toMatchObject({ protocol: 'thp', model: 'T3W1', paired: 0, stored: 1, btc: BTC_ADDRESS.expected });
  });
});
