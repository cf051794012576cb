/**
 * What a user does on the example page, as steps both browser suites run: the virtual device
 * inside the page, and the page's real WebUSB code talking to a virtual device over UDP.
 * Expected values are the public SLIP-14 vectors (test/fixtures/vectors/slip14.json), taken from
 * trezor-firmware's device tests.
 */
import { base58check, base64, hex } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { Address, OutScript, TEST_NETWORK, Transaction } from '@scure/btc-signer';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { loadVectors } from '../support/fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Vectors = any;
let cached: Vectors | undefined;
export const vectors = (): Vectors => (cached ??= loadVectors());

/** The page's error box as "Code: message", or undefined when it is hidden. */
export async function pageError(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const box = document.getElementById('error')!;
    return box.hidden ? undefined : `${document.getElementById('error-code')!.textContent}: ${document.getElementById('error-message')!.textContent}`;
  });
}

/**
 * Wait until `selector` has text (or the page shows an error, which fails the step with the
 * page's own code and message). Returns the text.
 */
export async function waitForText(page: Page, selector: string, timeout = 30_000): Promise<string> {
  await page.waitForFunction(
    (sel) => (document.querySelector(sel)?.textContent ?? '').trim() !== '' || !document.getElementById('error')!.hidden,
    selector,
    { timeout },
  );
  const error = await pageError(page);
  if (error) throw new Error(`the page shows an error while waiting for ${selector}: ${error}`);
  return (await page.textContent(selector))!.trim();
}

/** Wait until the page's error box shows; returns its code. */
export async function waitForErrorCode(page: Page, timeout = 30_000): Promise<string> {
  await page.waitForSelector('#error:not([hidden])', { timeout });
  return (await page.getAttribute('#error-code', 'data-code')) ?? '';
}

/** Wait for all the page's device calls to finish (the page marks body[data-busy] while busy). */
export async function waitIdle(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.busy === undefined, undefined, { timeout });
}

/** Clear a result element before the action that fills it, so waitForText sees the new value. */
async function clear(page: Page, ...selectors: string[]): Promise<void> {
  await page.evaluate((list) => list.forEach((s) => (document.querySelector(s)!.textContent = '')), selectors);
}

export async function openPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]');
}

/** Connected: the device panel shows the model and the SLIP-14 device is initialized. */
export async function checkFeatures(page: Page, model: 'T1B1' | 'T2T1' | 'T2B1' | 'T3T1', transport: string): Promise<void> {
  await page.waitForSelector('#device-panel:not([hidden])');
  expect(await page.textContent('#device-model')).toContain(model);
  expect(await page.textContent('#device-firmware')).toMatch(/^\d+\.\d+\.\d+/);
  expect(await page.textContent('#device-initialized')).toBe('yes');
  expect(await page.textContent('#device-transport')).toContain(transport);
}

/**
 * Load the account table for a network/account and return path → address and path → xpub.
 * Rows of script types in `unsupported` must show the device's refusal instead.
 */
async function loadAccounts(
  page: Page,
  coin: string,
  account: number,
  unsupported: readonly string[],
): Promise<{ addresses: Map<string, string>; xpubs: Map<string, string> }> {
  await page.selectOption('#btc-coin', coin);
  await page.fill('#btc-account', String(account));
  await clear(page, '#btc-accounts tbody');
  await page.click('#btc-load');
  await waitIdle(page);
  const error = await pageError(page);
  if (error) throw new Error(`loading ${coin} accounts: ${error}`);
  const rows = await page.$$eval('#btc-accounts tbody tr', (trs) =>
    trs.map((tr) => ({
      scriptType: tr.dataset.scriptType!,
      addresses: [...tr.querySelectorAll<HTMLElement>('li code[data-path]')].map((c) => [c.dataset.path!, c.textContent!] as const),
      xpub: tr.querySelector<HTMLElement>('code.xpub') ? ([tr.querySelector<HTMLElement>('code.xpub')!.dataset.path!, tr.querySelector('code.xpub')!.textContent!] as const) : undefined,
      failure: tr.querySelector('code.failure')?.textContent,
    })),
  );
  expect(rows.map((r) => r.scriptType)).toEqual(['p2pkh', 'p2sh-p2wpkh', 'p2wpkh', 'p2tr']);
  for (const row of rows) {
    if (unsupported.includes(row.scriptType)) expect(row.failure, `${row.scriptType} should be refused`).toMatch(/^\w+: /);
    else expect(row.failure, `${row.scriptType} row failed: ${row.failure}`).toBeUndefined();
  }
  return {
    addresses: new Map(rows.flatMap((r) => r.addresses)),
    xpubs: new Map(rows.flatMap((r) => (r.xpub ? [r.xpub] : []))),
  };
}

const STANDARD_SCRIPT_TYPE: Record<string, string> = {
  "44'": 'SPENDADDRESS',
  "49'": 'SPENDP2SHWITNESS',
  "84'": 'SPENDWITNESS',
  "86'": 'SPENDTAPROOT',
};

/** The key material of an extended key, without its SLIP-132 version bytes. */
const xpubNode = (xpub: string) => hex.encode(base58check(sha256).decode(xpub).slice(4));

/** Firmware version shown in the device panel, as one comparable number (2.4.1 → 2_004_001). */
export async function firmwareVersion(page: Page): Promise<number> {
  const [major = 0, minor = 0, patch = 0] = (await page.textContent('#device-firmware'))!.split(/[.\s]/).map(Number);
  return major * 1e6 + minor * 1e3 + patch;
}

/**
 * Account xpubs and first receive addresses per script type equal the firmware's vectors.
 * Taproot needs Trezor One 1.10.4 / Model T 2.4.3: older firmware must refuse that row.
 */
export async function checkBitcoinAccounts(page: Page): Promise<void> {
  const v = vectors();
  const version = await firmwareVersion(page);
  const taproot = version >= (version >= 2_000_000 ? 2_004_003 : 1_010_004);
  const unsupported = taproot ? [] : ['p2tr'];
  let compared = 0;
  for (const [coin, account] of [
    ['Bitcoin', 0],
    ['Testnet', 0],
    ['Bitcoin', 12],
  ] as const) {
    const { addresses, xpubs } = await loadAccounts(page, coin, account, unsupported);
    expect(addresses.size).toBe(3 * (4 - unsupported.length));
    // Only vectors whose script type is the standard one of the path's purpose (the table's rows).
    const standard = (x: { coin: string; path: string; script_type: string }) =>
      x.coin === coin && STANDARD_SCRIPT_TYPE[x.path.split('/')[1]!] === x.script_type;
    for (const vector of v.btc_addresses.filter(standard)) {
      const shown = addresses.get(vector.path);
      if (shown === undefined) continue;
      expect(shown, `${coin} ${vector.path}`).toBe(vector.expected);
      compared++;
    }
    for (const vector of v.btc_xpubs.filter((x: { coin: string }) => x.coin === coin)) {
      const shown = xpubs.get(vector.path);
      if (shown === undefined) continue;
      expect(xpubNode(shown), `${coin} ${vector.path}`).toBe(xpubNode(vector.expected_xpub));
      compared++;
    }
  }
  // 1JAd7…, mopZW…, 2N4Q5…, bc1qduv… and the m/44'/49'(/86') account keys.
  expect(compared).toBeGreaterThanOrEqual(taproot ? 7 : 6);
}

/** "Show on device" on the first address: the device confirms (auto-confirm) and the call ends cleanly. */
export async function showAddressOnDevice(page: Page): Promise<void> {
  await page.click('#btc-accounts tbody tr button[data-path]');
  await waitIdle(page);
  expect(await pageError(page)).toBeUndefined();
}

/** Sign the firmware test's message at m/44'/0'/0'/0/0: the exact signature of the vector. */
export async function signBitcoinMessage(page: Page): Promise<void> {
  const vector = vectors().btc_sign_message.find((x: { case: string; coin: string }) => x.case === 'p2pkh' && x.coin === 'Bitcoin');
  await page.selectOption('#btc-coin', 'Bitcoin');
  await page.fill('#btc-msg-path', vector.path);
  await page.fill('#btc-msg-text', vector.message);
  await clear(page, '#btc-msg-signature');
  await page.click('#btc-msg-sign');
  const signature = await waitForText(page, '#btc-msg-signature');
  expect(hex.encode(base64.decode(signature))).toBe(vector.expected_signature);
  expect(await page.textContent('#btc-msg-address')).toBe(vector.expected_address);
  expect(await page.textContent('#btc-msg-verified')).toBe('yes');
}

/**
 * The testnet example (a UTXO of the firmware's test_send_native): build the PSBT, sign it, and
 * check the raw transaction on the host: its id, the spent outpoint, the payment and a fee.
 */
export async function signPsbt(page: Page): Promise<void> {
  await page.click('#btc-example');
  await clear(page, '#btc-psbt');
  await page.click('#btc-build');
  await waitForText(page, '#btc-psbt');
  await page.waitForSelector('#btc-sign:not([disabled])');
  await page.click('#btc-sign');
  const txid = await waitForText(page, '#btc-txid');
  const raw = (await page.textContent('#btc-rawtx'))!;
  const tx = Transaction.fromRaw(hex.decode(raw), { allowUnknownOutputs: true });
  expect(tx.id).toBe(txid);
  expect(tx.isFinal).toBe(true);
  expect(hex.encode(tx.getInput(0).txid!)).toBe('b36780ceb86807ca6e7535a6fd418b1b788cb9b227d2c8a26a0de295e523219e');
  expect(tx.getInput(0).index).toBe(0);
  const paid = OutScript.encode(Address(TEST_NETWORK).decode('2N4Q5FhU2497BryFfUgbqkAJE87aKHUhXMp'));
  const outputs = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i));
  expect(outputs.some((o) => hex.encode(o.script!) === hex.encode(paid) && o.amount === 40_000n)).toBe(true);
  const spent = outputs.reduce((sum, o) => sum + o.amount!, 0n);
  const fee = 100_000n - spent;
  expect(fee).toBeGreaterThan(0n);
  expect(fee).toBeLessThan(2_000n); // 2 sat/vB on a 1-in 2-out SegWit transaction
  // The witness holds a signature and the key of m/84'/1'/0'/0/87.
  expect(tx.getInput(0).finalScriptWitness).toHaveLength(2);
}

/** EIP-55 addresses of the fixture paths. */
export async function checkEthereumAddresses(page: Page): Promise<void> {
  for (const vector of vectors().eth_addresses) {
    await page.fill('#eth-path', vector.path);
    await clear(page, '#eth-address');
    await page.click('#eth-address-get');
    expect(await waitForText(page, '#eth-address')).toBe(vector.expected);
  }
}

export async function signEthereumMessage(page: Page): Promise<void> {
  const vector = vectors().eth_sign_message[0];
  await page.fill('#eth-path', vector.parameters.path);
  await page.fill('#eth-msg-text', vector.parameters.msg);
  await clear(page, '#eth-msg-signature');
  await page.click('#eth-msg-sign');
  expect(await waitForText(page, '#eth-msg-signature')).toBe('0x' + vector.expected.sig);
}

/** EIP-712 "basic_data" (the Mail example) pasted as eth_signTypedData_v4 JSON. */
export async function signTypedData(page: Page): Promise<void> {
  const vector = vectors().eth_sign_typed_data.find((x: { name: string }) => x.name === 'basic_data');
  await page.fill('#eth-path', vector.parameters.path);
  await page.fill('#eth-typed', JSON.stringify(vector.parameters.data, null, 2));
  await clear(page, '#eth-typed-signature');
  await page.click('#eth-typed-sign');
  expect(await waitForText(page, '#eth-typed-signature')).toBe(vector.expected.sig);
}

/** EIP-1559 transactions from the fixtures, typed into the form: byte-exact signed transactions. */
export async function signEip1559(page: Page, names = ['nodata', 'data_1']): Promise<void> {
  for (const name of names) {
    const vector = vectors().eth_sign_tx.find((x: { name: string; type: string }) => x.type === 'eip1559' && x.name === name);
    const p = vector.parameters;
    await page.fill('#eth-path', p.path);
    await page.fill('#eth-chain', String(p.chain_id));
    await page.fill('#eth-nonce', p.nonce);
    await page.fill('#eth-to', p.to_address);
    await page.fill('#eth-value', p.value);
    await page.fill('#eth-data', p.data ? (p.data.startsWith('0x') ? p.data : '0x' + p.data) : '0x');
    await page.fill('#eth-gas', p.gas_limit);
    await page.fill('#eth-maxfee', p.max_gas_fee);
    await page.fill('#eth-priority', p.max_priority_fee);
    await clear(page, '#eth-tx-serialized', '#eth-tx-hash');
    await page.click('#eth-tx-sign');
    const serialized = await waitForText(page, '#eth-tx-serialized');
    expect(serialized, name).toBe(vector.signed_raw_tx);
    expect(await page.textContent('#eth-tx-hash')).toBe('0x' + hex.encode(keccak_256(hex.decode(serialized.slice(2)))));
  }
}

/**
 * A PIN-protected Trezor One: the first call that needs the seed opens the matrix dialog. The
 * test reads the scrambled matrix from the device's debug link (`matrix[i]` is the digit at
 * keypad position i + 1) and clicks the positions of the PIN's digits, as a user would after
 * looking at the device. A wrong PIN first shows PinInvalid; then the right one unlocks.
 */
export async function answerPinMatrix(
  page: Page,
  pin: string,
  readMatrix: () => Promise<string>,
  screenshotDialog: () => Promise<void>,
): Promise<void> {
  const vector = vectors().eth_addresses.find((x: { path: string }) => x.path === "m/44'/60'/0'/0/0");
  expect(await page.textContent('#device-pin')).toBe('yes');
  if ((await page.textContent('#device-unlocked')) !== 'no') {
    await page.click('#device-lock');
    await waitIdle(page);
    expect(await page.textContent('#device-unlocked')).toBe('no');
  }
  await page.fill('#eth-path', vector.path);

  const enter = async (digits: string) => {
    await page.waitForSelector('#pin-dialog[open]');
    const matrix = await readMatrix();
    expect(matrix).toMatch(/^[1-9]{9}$/);
    expect(new Set(matrix).size).toBe(9);
    for (const digit of digits) await page.click(`#pin-dialog [data-pin-position="${matrix.indexOf(digit) + 1}"]`);
    expect(await page.inputValue('#pin-entered')).toHaveLength(digits.length);
  };

  // Wrong PIN: positions of a different digit sequence.
  const wrong = pin.split('').map((d) => String((Number(d) % 9) + 1)).join('');
  await clear(page, '#eth-address');
  await page.click('#eth-address-get');
  await enter(wrong);
  await page.click('#pin-backspace');
  expect(await page.inputValue('#pin-entered')).toHaveLength(wrong.length - 1);
  await page.click(`#pin-dialog [data-pin-position="5"]`);
  await page.click('#pin-submit');
  // Its first digit differs from the PIN's, so no backspace/append makes it right.
  expect(await waitForErrorCode(page)).toBe('PinInvalid');
  await waitIdle(page);

  // Cancel closes the dialog and the call fails with PinCancelled.
  await page.click('#eth-address-get');
  await page.waitForSelector('#pin-dialog[open]');
  await page.click('#pin-cancel');
  expect(await waitForErrorCode(page)).toBe('PinCancelled');
  await waitIdle(page);

  // The right PIN.
  await clear(page, '#eth-address');
  await page.click('#eth-address-get');
  await enter(pin);
  await screenshotDialog();
  await page.click('#pin-submit');
  expect(await waitForText(page, '#eth-address')).toBe(vector.expected);
  expect(await page.isVisible('#pin-dialog')).toBe(false);
}

/** Nothing secret reached the console: not the mnemonic, not the passphrase. */
export function checkConsoleClean(messages: string[], secrets: string[]): void {
  for (const message of messages) for (const secret of secrets) expect(message).not.toContain(secret);
}
