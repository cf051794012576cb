// Bad input from the caller, table-driven: every row calls one public function with one wrong
// parameter, and must get InvalidParameters naming that parameter, with nothing sent to the
// device (the transport below counts every message the host writes after connect).
import { hex } from '@scure/base';
import { p2wpkh, Transaction } from '@scure/btc-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as btc from '../src/bitcoin/index.js';
import * as eth from '../src/ethereum/index.js';
import * as mgmt from '../src/management/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { ROOT, accountKey, fundingTx, publicKeyAt } from './support/bitcoin-wallet.js';
import { faultTransport, type FaultTransport } from './support/fault-transport.js';
import { SLIP14_MNEMONIC } from './support/fixtures.js';

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const TXID = 'b36780ceb86807ca6e7535a6fd418b1b788cb9b227d2c8a26a0de295e523219e';
const BTC_ADDRESS = 'bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk'; // SLIP-14 m/84'/0'/0'/0/0 (test_getaddress.py)
const TESTNET_ADDRESS = 'tb1qkvwu9g3k2pdxewfqr7syz89r3gj557l3uuf9r9'; // a testnet P2WPKH (test_signtx_segwit_native.py)
const ETH_TO = '0x1d1c328764a41bda0492b66baa30c4a339ff85ef';
const MAX_SATS = 21_000_000n * 100_000_000n;

const account = () => accountKey("m/84'/1'/0'", btc.COINS.Regtest, 'p2wpkh');
const recipient = () => p2wpkh(publicKeyAt("m/84'/1'/9'/0/0"), REGTEST).address!;
const funding = fundingTx("m/84'/1'/0'/0/0", 'p2wpkh', 100_000n);
const utxo = (extra: Record<string, unknown> = {}) => ({ txid: funding.txid, vout: 0, amount: 100_000n, path: "m/84'/1'/0'/0/0", prevTx: funding.raw, ...extra });
const psbtParams = (extra: Record<string, unknown> = {}) => ({
  coin: 'Regtest',
  account: account(),
  utxos: [utxo()],
  outputs: [{ address: recipient(), amount: 50_000n }],
  feeRate: 2,
  change: { path: "m/84'/1'/0'/1/0" },
  ...extra,
});
const ethTx = (extra: Record<string, unknown> = {}) => ({
  chainId: 1,
  nonce: 0,
  gasLimit: 21000,
  maxFeePerGas: 20n,
  maxPriorityFeePerGas: 1n,
  to: ETH_TO,
  value: 1n,
  data: '0x',
  ...extra,
});
const mail = {
  domain: { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
  types: { Person: [{ name: 'name', type: 'string' }, { name: 'wallet', type: 'address' }] },
  primaryType: 'Person',
  message: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
};

/** A PSBT with one input paying a key this wallet does not have, and no derivation for it. */
function foreignPsbt(): Uint8Array {
  const tx = new Transaction();
  const foreign = p2wpkh(Uint8Array.of(2, ...new Uint8Array(32).fill(9)), REGTEST);
  tx.addInput({ txid: TXID, index: 0, witnessUtxo: { script: foreign.script, amount: 100_000n } });
  tx.addOutputAddress(recipient(), 90_000n, REGTEST);
  return tx.toPSBT();
}

/** A PSBT whose only input claims the wallet's path but under another master fingerprint. */
function otherWalletPsbt(): Uint8Array {
  const tx = new Transaction();
  const key = ROOT.derive("m/84'/1'/0'/0/0").publicKey!;
  tx.addInput({
    txid: TXID,
    index: 0,
    witnessUtxo: { script: p2wpkh(key, REGTEST).script, amount: 100_000n },
    bip32Derivation: [[key, { fingerprint: 0x01020304, path: [0x80000054, 0x80000001, 0x80000000, 0, 0] }]],
  });
  tx.addOutputAddress(recipient(), 90_000n, REGTEST);
  return tx.toPSBT();
}

type Row = [name: string, run: (t: Trezor) => unknown, field: string | RegExp];

const PATH_ROWS: Row[] = [
  ['btc.getAddress: path with a letter', (t) => btc.getAddress(t, { path: "m/84'/0'/x'/0/0" }), 'path'],
  ['btc.getAddress: path with an empty element', (t) => btc.getAddress(t, { path: "m/84'//0'/0/0" }), 'path'],
  ['btc.getAddress: path index 2^31 unhardened', (t) => btc.getAddress(t, { path: "m/84'/0'/0'/0/2147483648" }), 'path'],
  ['btc.getAddress: path array with a negative index', (t) => btc.getAddress(t, { path: [0x80000054, 0x80000000, 0x80000000, 0, -1] }), 'path'],
  ['btc.getAddress: path array with a fraction', (t) => btc.getAddress(t, { path: [0x80000054, 0x80000000, 0x80000000, 0, 0.5] }), 'path'],
  ['btc.getAddress: path not a string or array', (t) => btc.getAddress(t, { path: 84 as never }), 'path'],
  ['btc.getAddress: BIP-84 path with unhardened account levels', (t) => btc.getAddress(t, { path: 'm/84/0/0/0/0' }), 'path'],
  ['btc.getAddress: BIP-44 path with a hardened address index', (t) => btc.getAddress(t, { path: "m/44'/0'/0'/0'/0'" }), 'path'],
  ['btc.getAddress: unknown coin', (t) => btc.getAddress(t, { path: "m/84'/0'/0'/0/0", coin: 'Bitcoin Gold Plus' as never }), 'coin'],
  ['btc.getAddress: unknown script type', (t) => btc.getAddress(t, { path: "m/84'/0'/0'/0/0", scriptType: 'p2wsh-p2tr' as never }), 'scriptType'],
  ['btc.getAddress: show not a boolean', (t) => btc.getAddress(t, { path: "m/84'/0'/0'/0/0", show: 'yes' as never }), 'show'],
  ['btc.getPublicKey: malformed path', (t) => btc.getPublicKey(t, { path: "m/84'/0'/0''" }), 'path'],
  ['btc.getPublicKey: unknown coin', (t) => btc.getPublicKey(t, { path: "m/84'/0'/0'", coin: 'Nocoin' as never }), 'coin'],
  ['btc.signMessage: message neither string nor bytes', (t) => btc.signMessage(t, { path: "m/84'/0'/0'/0/0", message: 42 as never }), 'message'],
  ['btc.signMessage: malformed path', (t) => btc.signMessage(t, { path: 'm/-1', message: 'hi' }), 'path'],
];

const PSBT_ROWS: Row[] = [
  ['createPsbt: output amount 0', () => btc.createPsbt(psbtParams({ outputs: [{ address: recipient(), amount: 0n }] }) as never), /^outputs\[0\]\.amount$/],
  ['createPsbt: output amount negative', () => btc.createPsbt(psbtParams({ outputs: [{ address: recipient(), amount: -5n }] }) as never), /^outputs\[0\]\.amount$/],
  ['createPsbt: output amount above 21M BTC', () => btc.createPsbt(psbtParams({ outputs: [{ address: recipient(), amount: MAX_SATS + 1n }] }) as never), /^outputs\[0\]\.amount$/],
  ['createPsbt: output amount a fraction', () => btc.createPsbt(psbtParams({ outputs: [{ address: recipient(), amount: 1.5 }] }) as never), /^outputs\[0\]\.amount$/],
  ['createPsbt: utxo amount 0', () => btc.createPsbt(psbtParams({ utxos: [utxo({ amount: 0n })] }) as never), /^utxos\[0\]\.amount$/],
  ['createPsbt: utxo amount above 21M BTC', () => btc.createPsbt(psbtParams({ utxos: [utxo({ amount: MAX_SATS + 1n })] }) as never), /^utxos\[0\]\.amount$/],
  ['createPsbt: fee rate 0', () => btc.createPsbt(psbtParams({ feeRate: 0 }) as never), 'feeRate'],
  ['createPsbt: fee rate negative', () => btc.createPsbt(psbtParams({ feeRate: -1 }) as never), 'feeRate'],
  ['createPsbt: fee rate NaN', () => btc.createPsbt(psbtParams({ feeRate: Number.NaN }) as never), 'feeRate'],
  ['createPsbt: absurd fee rate (1 BTC per vbyte)', () => btc.createPsbt(psbtParams({ feeRate: 100_000_000 }) as never), 'feeRate'],
  ['createPsbt: output address of another network', () => btc.createPsbt(psbtParams({ outputs: [{ address: BTC_ADDRESS, amount: 50_000n }] }) as never), /^outputs\[0\]\.address$/],
  ['createPsbt: output address garbage', () => btc.createPsbt(psbtParams({ outputs: [{ address: 'bcrt1qnotanaddress', amount: 50_000n }] }) as never), /^outputs\[0\]\.address$/],
  ['createPsbt: utxo txid not 32 bytes of hex', () => btc.createPsbt(psbtParams({ utxos: [utxo({ txid: 'abcd' })] }) as never), /^utxos\[0\]\.txid$/],
  ['createPsbt: utxo vout negative', () => btc.createPsbt(psbtParams({ utxos: [utxo({ vout: -1 })] }) as never), /^utxos\[0\]\.vout$/],
  ['createPsbt: utxo path malformed', () => btc.createPsbt(psbtParams({ utxos: [utxo({ path: "m/84'/1'/0'/0/z" })] }) as never), /^utxos\[0\]\.path$/],
  ['createPsbt: change path malformed', () => btc.createPsbt(psbtParams({ change: { path: 'm/1/x' } }) as never), /^change\.path$/],
  ['createPsbt: unknown coin', () => btc.createPsbt(psbtParams({ coin: 'Fakecoin' }) as never), 'coin'],
  ['createPsbt: no outputs', () => btc.createPsbt(psbtParams({ outputs: [] }) as never), 'outputs'],
  ['signPsbt: PSBT not bytes', (t) => btc.signPsbt(t, 'cHNidP8=' as never, { coin: 'Regtest' }), 'psbt'],
  ['signPsbt: PSBT bytes that do not parse', (t) => btc.signPsbt(t, Uint8Array.of(1, 2, 3), { coin: 'Regtest' }), 'psbt'],
  ['signPsbt: an input the wallet cannot sign (no key origin)', (t) => btc.signPsbt(t, foreignPsbt(), { coin: 'Regtest' }), /^psbt\.inputs\[0\]/],
  ['signPsbt: unknown coin', (t) => btc.signPsbt(t, foreignPsbt(), { coin: 'Fakecoin' as never }), 'coin'],
  ['btc.verifyMessage: signature not base64', () => btc.verifyMessage({ address: BTC_ADDRESS, message: 'hi', signature: '!!!' }), 'signature'],
  ['btc.verifyMessage: address of another network', () => btc.verifyMessage({ address: TESTNET_ADDRESS, message: 'hi', signature: 'H'.repeat(88), coin: 'Bitcoin' }), 'address'],
];

const ETH_ROWS: Row[] = [
  ['eth.getAddress: malformed path', (t) => eth.getAddress(t, { path: "m/44'/60'/0'/0/q" }), 'path'],
  ['eth.signTransaction: no chainId', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: ethTx({ chainId: undefined }) }), 'tx.chainId'],
  ['eth.signTransaction: chainId 0', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: ethTx({ chainId: 0 }) }), 'tx.chainId'],
  ['eth.signTransaction: chainId negative', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: ethTx({ chainId: -1 }) }), 'tx.chainId'],
  ['eth.signTransaction: to not an address', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: ethTx({ to: '0x1234' }) }), 'tx.to'],
  ['eth.signTransaction: value negative', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: ethTx({ value: -1n }) }), 'tx.value'],
  ['eth.signTransaction: nonce negative', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: ethTx({ nonce: -1 }) }), 'tx.nonce'],
  ['eth.signTransaction: no gas limit', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: ethTx({ gasLimit: undefined }) }), 'tx.gasLimit'],
  ['eth.signTransaction: data not hex', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: ethTx({ data: '0xzz' }) }), 'tx.data'],
  ['eth.signTransaction: priority fee above max fee', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: ethTx({ maxPriorityFeePerGas: 30n }) }), 'tx.maxPriorityFeePerGas'],
  ['eth.signTransaction: hardened address index', (t) => eth.signTransaction(t, { path: "m/44'/60'/0'/0'/0'", tx: ethTx() }), 'path'],
  ['eth.signMessage: message missing', (t) => eth.signMessage(t, { path: "m/44'/60'/0'/0/0", message: undefined as never }), 'message'],
  ['eth.signTypedData: message field missing from types', (t) => eth.signTypedData(t, { path: "m/44'/60'/0'/0/0", ...mail, message: { ...mail.message, age: 3 } } as never), /^typedData\.message/],
  ['eth.signTypedData: message lacks a field of its type', (t) => eth.signTypedData(t, { path: "m/44'/60'/0'/0/0", ...mail, message: { name: 'Cow' } } as never), /^typedData\.message/],
  ['eth.signTypedData: primaryType not in types', (t) => eth.signTypedData(t, { path: "m/44'/60'/0'/0/0", ...mail, primaryType: 'Mail' } as never), 'typedData.primaryType'],
  ['eth.signTypedData: a field of an unknown type', (t) => eth.signTypedData(t, { path: "m/44'/60'/0'/0/0", ...mail, types: { Person: [{ name: 'name', type: 'uint7' }] }, message: { name: 1 } } as never), /^typedData\.types/],
  ['eth.signTypedData: address value not an address', (t) => eth.signTypedData(t, { path: "m/44'/60'/0'/0/0", ...mail, message: { name: 'Cow', wallet: '0x12' } } as never), /^typedData\.message/],
];

const DEVICE_ROWS: Row[] = [
  ['resetDevice: strength 100', (t) => mgmt.resetDevice(t, { strength: 100 as never }), 'strength'],
  ['resetDevice: label not a string', (t) => mgmt.resetDevice(t, { label: 5 as never }), 'label'],
  ['recoverDevice: word count 13', (t) => mgmt.recoverDevice(t, { wordCount: 13 as never }), 'wordCount'],
  ['applySettings: negative auto-lock delay', (t) => mgmt.applySettings(t, { autoLockDelayMs: -1 }), 'autoLockDelayMs'],
  ['applySettings: display rotation 45', (t) => mgmt.applySettings(t, { displayRotation: 45 as never }), 'displayRotation'],
  ['trezor.call: a field of the wrong type', (t) => t.call('GetAddress', { address_n: 'x' } as never), 'GetAddress.address_n'],
  ['trezor.call: unknown message name', (t) => t.call('NoSuchMessage' as never, {} as never), 'name'],
];

const ROWS = [...PATH_ROWS, ...PSBT_ROWS, ...ETH_ROWS, ...DEVICE_ROWS];

let virtual: VirtualTrezor;
let faults: FaultTransport;
let trezor: Trezor;
beforeAll(async () => {
  virtual = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, model: 'T2T1', autoConfirm: true });
  faults = faultTransport(virtual.transport());
  trezor = await connect({ transport: faults.transport });
});
afterAll(async () => {
  await trezor.close();
  await virtual.close();
});

describe('caller input validation: InvalidParameters with the field named, nothing sent', () => {
  it(`has at least 40 rows (${ROWS.length})`, () => expect(ROWS.length).toBeGreaterThanOrEqual(40));

  it.each(ROWS)('%s', async (_name, run, field) => {
    const sent = faults.hostMessages.length;
    const error = await Promise.resolve()
      .then(() => run(trezor))
      .then(
        () => undefined,
        (e: unknown) => e as { code?: string; field?: string; message?: string },
      );
    expect(error, 'the call succeeded').toBeDefined();
    expect({ code: error!.code, message: error!.message }).toMatchObject({ code: 'InvalidParameters' });
    if (typeof field === 'string') expect(error!.field).toBe(field);
    else expect(error!.field).toMatch(field);
    expect(faults.hostMessages.slice(sent)).toEqual([]);
  });

  it('the device is still fine afterwards (a valid call goes through)', async () => {
    expect(await btc.getAddress(trezor, { path: "m/84'/0'/0'/0/0" })).toBe(BTC_ADDRESS);
    expect(hex.encode(new Uint8Array())).toBe('');
  });
});
