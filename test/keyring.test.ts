// MetaMask's Trezor keyring (@metamask/eth-trezor-keyring, the npm package as published, not
// modified) driven through createKeyringBridge() against the virtual device with the SLIP-14
// seed: accounts, legacy and EIP-1559 transactions (@ethereumjs/tx objects, as MetaMask passes
// them), personal_sign and eth_signTypedData_v4 must give the firmware's vector results
// (test/fixtures/vectors/slip14.json). Buttons are pressed through the debug link.
//
// The keyring derives accounts only under m/44'/60'/0'/0 (or the two other HD paths it allows),
// so the vectors at other paths (ETC's m/44'/61'/…, the message at m/45'/60/2/1/1) cannot be
// reached through it; they are filtered out below and run in the device suite instead.
import { Common, Hardfork } from '@ethereumjs/common';
import { FeeMarketEIP1559Transaction, LegacyTransaction, type TypedTransaction } from '@ethereumjs/tx';
import { TrezorKeyring } from '@metamask/eth-trezor-keyring';
import { hexlify, toUtf8Bytes } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyringBridge, type TrezorKeyringBridge } from '../src/keyring/index.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { SLIP14_MNEMONIC, loadVectors } from './support/fixtures.js';

const vectors = loadVectors();
const BASE = "m/44'/60'/0'/0/";
const reachable = (v: { parameters: { path: string } }) => v.parameters.path.startsWith(BASE);
const TX_VECTORS = (vectors.eth_sign_tx as any[]).filter(reachable);
const MESSAGE_VECTORS = (vectors.eth_sign_message as any[]).filter(reachable);
const TYPED_VECTORS = (vectors.eth_sign_typed_data as any[]).filter(reachable);
const ACCOUNT_0 = (vectors.eth_addresses as any[]).find((v) => v.path === `${BASE}0`).expected as string;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(options: ConstructorParameters<typeof VirtualTrezor>[0]) {
  const virtual = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, ...options });
  const debug = virtual.debugLink();
  let answer: 'yes' | 'no' = 'yes';
  // Counts how often the bridge opens the device.
  const transport = virtual.transport();
  let opened = 0;
  const counted = { ...transport, open: (...args: Parameters<typeof transport.open>) => (opened++, transport.open(...args)) };
  const bridge = createKeyringBridge({ transport: counted, ui: { button: () => void debug.press(answer) } });
  const keyring = new TrezorKeyring({ bridge });
  cleanups.push(async () => {
    await keyring.destroy();
    await virtual.close();
  });
  return { bridge, keyring, reject: () => (answer = 'no'), opened: () => opened };
}

/** The vector's transaction as an @ethereumjs/tx object, the way MetaMask hands it to a keyring. */
function ethereumjsTx(vector: any): TypedTransaction {
  const p = vector.parameters;
  const common = Common.custom({ chainId: BigInt(p.chain_id) }, { hardfork: Hardfork.London });
  const fields = { nonce: p.nonce, gasLimit: p.gas_limit, to: p.to_address, value: p.value, data: `0x${p.data}` as `0x${string}` };
  return vector.type === 'eip1559'
    ? FeeMarketEIP1559Transaction.fromTxData({ ...fields, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee }, { common })
    : LegacyTransaction.fromTxData({ ...fields, gasPrice: p.gas_price }, { common });
}

/** Account index of a vector's path under m/44'/60'/0'/0. */
const indexOf = (path: string) => Number(path.slice(BASE.length));

it('the filtered vector lists still hold legacy and EIP-1559 transactions, messages and typed data', () => {
  expect(TX_VECTORS.map((v) => v.type)).toEqual(expect.arrayContaining(['eip1559', 'legacy_eip155']));
  expect(MESSAGE_VECTORS.length).toBeGreaterThanOrEqual(4);
  expect(TYPED_VECTORS.length).toBe((vectors.eth_sign_typed_data as any[]).length);
});

// The Trezor One signs typed data as two hashes, the Safe 5 (Core) walks the whole structure.
describe.each([
  ['Trezor One 1.14.1', { model: 'T1B1' as const }],
  ['Safe 5 2.8.9', { model: 'T3T1' as const }],
])('TrezorKeyring on the bridge, %s', (_name, options) => {
  it('addAccounts and getFirstPage list the SLIP-14 addresses; model is the device model', async () => {
    const { keyring, bridge } = setup(options);
    await keyring.init();
    expect(await keyring.addAccounts(1)).toEqual([ACCOUNT_0]);
    const page = await keyring.getFirstPage();
    expect(page).toHaveLength(5);
    expect(page[0]).toMatchObject({ address: ACCOUNT_0, index: 0 });
    expect(bridge.model).toBe(options.model === 'T1B1' ? '1' : 'Safe 5');
    expect(keyring.getModel()).toBe(bridge.model);
    // Index 100: the from_address of the vectors at m/44'/60'/0'/0/100.
    keyring.setAccountToUnlock(100);
    const from100 = TX_VECTORS.find((v) => indexOf(v.parameters.path) === 100).from_address;
    expect(await keyring.addAccounts(1)).toEqual([from100]);
  });

  it.each(TX_VECTORS.map((v) => [`${v.type} ${v.name}`, v]))('signTransaction %s gives the vector signature', async (_label, vector) => {
    const { keyring } = setup(options);
    keyring.setAccountToUnlock(indexOf(vector.parameters.path));
    const [address] = await keyring.addAccounts(1);
    const signed = (await keyring.signTransaction(address!, ethereumjsTx(vector))) as TypedTransaction;
    expect(signed.type).toBe(vector.type === 'eip1559' ? 2 : 0);
    expect(signed.v).toBe(BigInt(vector.expected.sig_v));
    expect(signed.r).toBe(BigInt(`0x${vector.expected.sig_r}`));
    expect(signed.s).toBe(BigInt(`0x${vector.expected.sig_s}`));
    expect(signed.getSenderAddress().toString().toLowerCase()).toBe(vector.from_address.toLowerCase());
  });

  it.each(MESSAGE_VECTORS.map((v) => [v.parameters.msg, v]))('signPersonalMessage %j gives the vector signature', async (_msg, vector) => {
    const { keyring } = setup(options);
    const [address] = await keyring.addAccounts(1);
    expect(address).toBe(vector.expected.address);
    const signature = await keyring.signPersonalMessage(address!, hexlify(toUtf8Bytes(vector.parameters.msg)));
    expect(signature).toBe(`0x${vector.expected.sig}`);
  });

  it.each(TYPED_VECTORS.map((v) => [v.name, v]))('signTypedData v4 %s gives the vector signature', async (_name, vector) => {
    const { keyring } = setup(options);
    const [address] = await keyring.addAccounts(1);
    expect(address).toBe(vector.expected.address);
    const signature = await keyring.signTypedData(address!, vector.parameters.data, { version: 'V4' as never });
    expect(signature).toBe(vector.expected.sig);
  });
});

describe('createKeyringBridge answers as Trezor Connect does', () => {
  it('a rejection on the device is { success: false } with the Connect code and ours', async () => {
    const { bridge, reject } = setup({ model: 'T1B1' });
    reject();
    const response = await bridge.ethereumSignMessage({ path: `${BASE}0`, message: '616263', hex: true });
    expect(response).toMatchObject({ success: false, payload: { code: 'Failure_ActionCancelled', trezorCode: 'ActionCancelled' } });
  });

  it('the keyring turns that failure into a rejected promise', async () => {
    const { keyring, reject } = setup({ model: 'T1B1' });
    const [address] = await keyring.addAccounts(1);
    reject();
    await expect(keyring.signPersonalMessage(address!, '0x616263')).rejects.toThrow();
  });

  it('bad input is InvalidParameters before anything reaches the device', async () => {
    const { bridge, opened } = setup({ model: 'T1B1' });
    const bad = await bridge.ethereumSignTransaction({ path: `${BASE}0`, transaction: { nonce: 'zz', gasLimit: '0x5208', chainId: 1, to: ACCOUNT_0, gasPrice: '0x1' } });
    expect(bad).toMatchObject({ success: false, payload: { code: 'Method_InvalidParameter', trezorCode: 'InvalidParameters' } });
    const noHex = await bridge.ethereumSignMessage({ path: `${BASE}0`, message: 'not hex', hex: true });
    expect(noHex).toMatchObject({ success: false, payload: { code: 'Method_InvalidParameter', trezorCode: 'InvalidParameters' } });
    const typed = TYPED_VECTORS.find((v) => v.name === 'basic_data').parameters;
    const mismatch = await bridge.ethereumSignTypedData({ ...typed, message_hash: `0x${'00'.repeat(32)}` });
    expect(mismatch).toMatchObject({ success: false, payload: { code: 'Method_InvalidParameter', trezorCode: 'InvalidParameters' } });
    // Nothing was connected: the bridge connects on its first real call.
    expect(opened()).toBe(0);
  });

  it('getPublicKey returns hex without 0x, as the keyring reads it', async () => {
    const { bridge } = setup({ model: 'T1B1' });
    const response = await bridge.getPublicKey({ path: "m/44'/60'/0'", coin: 'ETH' });
    expect(response.success).toBe(true);
    const payload = (response as Extract<Awaited<ReturnType<TrezorKeyringBridge['getPublicKey']>>, { success: true }>).payload;
    expect(payload.publicKey).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(payload.chainCode).toMatch(/^[0-9a-f]{64}$/);
    expect(payload.serializedPath).toBe("m/44'/60'/0'");
  });
});
