// A hostile transport (test/support/fault-transport.ts, tamper()) alters the device's answers on
// their way to the host: signatures, addresses, xpubs and public keys, transaction bytes. Every
// coin function must notice and throw VerificationFailed rather than return what the device did
// not produce: BTC signatures are verified against the sighash and the input's key, ETH
// signatures recovered to the path's address, xpubs checked against the node they came with,
// and a shown address against the address derived from the path's key. Each row also runs
// once untampered, so the check is not simply failing everything.
import { hexlify } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as btc from '../src/bitcoin/index.js';
import * as eth from '../src/ethereum/index.js';
import type { AnyMessage } from '../src/messages/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { ROOT, accountKey, walletPsbt } from './support/bitcoin-wallet.js';
import { faultTransport, type FaultTransport } from './support/fault-transport.js';
import { SLIP14_MNEMONIC } from './support/fixtures.js';
import { keyScript, scriptAddress } from '../src/bitcoin/address.js';
import { COINS } from '../src/bitcoin/coins.js';
import { derivePublicKey } from '../src/bitcoin/ckd.js';

const ETH_PATH = "m/44'/60'/0'/0/0";
const BTC_PATH = "m/84'/0'/0'/0/0";
/** Another, valid address of the same kind: what an attacker would substitute. */
const otherBtcAddress = () => scriptAddress(COINS.Bitcoin, keyScript('p2wpkh', ROOT.derive("m/84'/0'/0'/0/7").publicKey!).script)!;
const OTHER_ETH = '0x1d1c328764a41bda0492b66baa30c4a339ff85ef';
const tx = { chainId: 1, nonce: 0, gasLimit: 21000, maxFeePerGas: 20n, maxPriorityFeePerGas: 1n, to: OTHER_ETH, value: 1n, data: '0x' };
const mail = {
  domain: { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
  types: { Person: [{ name: 'name', type: 'string' }, { name: 'wallet', type: 'address' }] },
  primaryType: 'Person',
  message: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
};

/** A copy of `bytes` with one bit flipped at `at` (negative: from the end). */
function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  const i = at < 0 ? out.length + at : at;
  out[i]! ^= 0x01;
  return out;
}

/** Rewrite answers of type `type` with `change` (the message is copied first). */
function on<T extends AnyMessage['type']>(type: T, change: (m: Extract<AnyMessage, { type: T }>['message']) => void) {
  return (answer: AnyMessage): AnyMessage => {
    if (answer.type !== type) return answer;
    const copy = structuredClone(answer.message) as Extract<AnyMessage, { type: T }>['message'];
    (change as (m: unknown) => void)(copy);
    return { type: answer.type, message: copy } as AnyMessage;
  };
}

type Row = [name: string, tamper: (a: AnyMessage) => AnyMessage, run: (t: Trezor) => Promise<unknown>];

const ROWS: Row[] = [
  ['btc.getAddress: address swapped for another valid one', on('Address', (m) => void (m.address = otherBtcAddress())), (t) => btc.getAddress(t, { path: BTC_PATH, show: true })],
  ['btc.getAddress: an address of another script type', on('Address', (m) => void (m.address = '1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL')), (t) => btc.getAddress(t, { path: BTC_PATH })],
  ['btc.getPublicKey: xpub of another account', on('PublicKey', (m) => void (m.xpub = accountKey("m/84'/0'/1'", COINS.Bitcoin, 'p2wpkh').xpub)), (t) => btc.getPublicKey(t, { path: "m/84'/0'/0'" })],
  ['btc.getPublicKey: node key of another account', on('PublicKey', (m) => void (m.node.public_key = ROOT.derive("m/84'/0'/1'").publicKey!)), (t) => btc.getPublicKey(t, { path: "m/84'/0'/0'" })],
  ['btc.getPublicKey: chain code altered', on('PublicKey', (m) => void (m.node.chain_code = flip(m.node.chain_code, 0))), (t) => btc.getPublicKey(t, { path: "m/84'/0'/0'" })],
  ['btc.getAccountDescriptor: xpub of another account', on('PublicKey', (m) => void (m.xpub = accountKey("m/84'/0'/1'", COINS.Bitcoin, 'p2wpkh').xpub)), (t) => btc.getAccountDescriptor(t, { path: "m/84'/0'/0'" } as never)],
  ['btc.signMessage: signature byte flipped', on('MessageSignature', (m) => void (m.signature = flip(m.signature, 20))), (t) => btc.signMessage(t, { path: BTC_PATH, message: 'hello' })],
  ['btc.signMessage: address swapped', on('MessageSignature', (m) => void (m.address = otherBtcAddress())), (t) => btc.signMessage(t, { path: BTC_PATH, message: 'hello' })],
  [
    'btc.signPsbt: a signature byte flipped',
    on('TxRequest', (m) => {
      if (m.serialized?.signature) m.serialized.signature = flip(m.serialized.signature, -3);
    }),
    (t) => btc.signPsbt(t, walletPsbt(2), { coin: 'Regtest' }),
  ],
  [
    'btc.signPsbt: a transaction byte flipped',
    on('TxRequest', (m) => {
      if (m.serialized?.serialized_tx && m.serialized.serialized_tx.length > 8) m.serialized.serialized_tx = flip(m.serialized.serialized_tx, 5);
    }),
    (t) => btc.signPsbt(t, walletPsbt(2), { coin: 'Regtest' }),
  ],
  ['eth.getAddress: shown address swapped', on('EthereumAddress', (m) => void (m.address = OTHER_ETH)), (t) => eth.getAddress(t, { path: ETH_PATH, show: true })],
  ['eth.getPublicKey: xpub of another node', on('EthereumPublicKey', (m) => void (m.xpub = accountKey("m/44'/60'/1'", COINS.Bitcoin, 'p2pkh').xpub)), (t) => eth.getPublicKey(t, { path: "m/44'/60'/0'" })],
  ['eth.getPublicKey: node key of another node', on('EthereumPublicKey', (m) => void (m.node.public_key = ROOT.derive("m/44'/60'/1'").publicKey!)), (t) => eth.getPublicKey(t, { path: "m/44'/60'/0'" })],
  ['eth.signTransaction: signature r altered', on('EthereumTxRequest', (m) => void (m.signature_r = m.signature_r && flip(m.signature_r, -1))), (t) => eth.signTransaction(t, { path: ETH_PATH, tx })],
  ['eth.signTransaction: signature v altered', on('EthereumTxRequest', (m) => void (m.signature_v = m.signature_v === undefined ? undefined : m.signature_v ^ 1)), (t) => eth.signTransaction(t, { path: ETH_PATH, tx })],
  ['eth.signMessage: signature byte flipped', on('EthereumMessageSignature', (m) => void (m.signature = flip(m.signature, 10))), (t) => eth.signMessage(t, { path: ETH_PATH, message: 'hello' })],
  ['eth.signMessage: address swapped', on('EthereumMessageSignature', (m) => void (m.address = OTHER_ETH)), (t) => eth.signMessage(t, { path: ETH_PATH, message: 'hello' })],
  ['eth.signTypedData: signature byte flipped', on('EthereumTypedDataSignature', (m) => void (m.signature = flip(m.signature, 10))), (t) => eth.signTypedData(t, { path: ETH_PATH, ...mail })],
];

let virtual: VirtualTrezor;
let faults: FaultTransport;
let trezor: Trezor;
beforeAll(async () => {
  // Model T 2.8.9: EIP-712 and EIP-1559 are there.
  virtual = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, model: 'T2T1', firmware: '2.8.9', autoConfirm: true });
  faults = faultTransport(virtual.transport());
  trezor = await connect({ transport: faults.transport });
});
afterAll(async () => {
  await trezor.close();
  await virtual.close();
});

describe('a tampering transport: every coin function throws VerificationFailed', () => {
  it.each(ROWS)('%s', async (_name, tamper, run) => {
    faults.tamper(undefined);
    await run(trezor); // untampered: succeeds
    let touched = 0;
    faults.tamper((answer) => {
      const out = tamper(answer);
      if (out !== answer) touched++;
      return out;
    });
    try {
      const error = await run(trezor).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(touched, 'the tamper never fired').toBeGreaterThan(0);
      expect({ code: error?.code, message: error?.message }).toMatchObject({ code: 'VerificationFailed' });
    } finally {
      faults.tamper(undefined);
    }
    // The line is still in step: the next honest call works.
    expect(await btc.getAddress(trezor, { path: BTC_PATH })).toMatch(/^bc1q/);
  });

  it('the host-side CKDpub the address check uses agrees with @scure/bip32', () => {
    const account = ROOT.derive("m/84'/0'/0'");
    for (const [change, index] of [[0, 0], [1, 7], [0, 2 ** 31 - 1]] as const) {
      expect(derivePublicKey(account.publicKey!, account.chainCode!, [change, index])).toEqual(account.deriveChild(change).deriveChild(index).publicKey);
    }
  });

  it('eth.getPublicKey answers the key the host derives for the path', async () => {
    const key = await eth.getPublicKey(trezor, { path: "m/44'/60'/0'" });
    expect(key.publicKey).toBe(hexlify(ROOT.derive("m/44'/60'/0'").publicKey!));
  });
});
