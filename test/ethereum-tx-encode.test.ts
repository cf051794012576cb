// The ethers-free transaction path: RLP against the Yellow Paper / Ethereum wiki examples, and
// signed transactions assembled from the fields sent to the device against the firmware's
// vectors (test/fixtures/vectors/slip14.json, from common/tests/fixtures/ethereum): the device's
// (r, s, v) must give the vector's signed transaction and signer, and any change to r, s or v
// must give VerificationFailed. signTransactionDetailed and the viem account with a chain
// serializer are checked on the virtual device with the same vectors.
import { Transaction } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { serializeTransaction, type TransactionSerializable } from 'viem';
import { isTrezorError } from '../src/errors.js';
import { bytesOf, toHex } from '../src/ethereum/crypto.js';
import { signTransactionDetailed } from '../src/ethereum/index.js';
import { rlpEncode, type RlpItem } from '../src/ethereum/rlp.js';
import { signedTransaction } from '../src/ethereum/tx-encode.js';
import { planTransaction, type TransactionPlan } from '../src/ethereum/tx.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { trezorAccount } from '../src/viem/index.js';
import { loadVectors } from './support/fixtures.js';

const vectors = loadVectors();
type TxVector = (typeof vectors.eth_sign_tx)[number];
const text = (s: string) => new TextEncoder().encode(s);

describe('rlpEncode: the examples of the Ethereum wiki / Yellow Paper appendix B', () => {
  const cases: [string, RlpItem, string][] = [
    ['"dog"', text('dog'), '0x83646f67'],
    ['["cat", "dog"]', [text('cat'), text('dog')], '0xc88363617483646f67'],
    ['the empty string', new Uint8Array(0), '0x80'],
    ['the empty list', [], '0xc0'],
    ['the integer 0 (empty string)', new Uint8Array(0), '0x80'],
    ['the byte 0x00', Uint8Array.of(0), '0x00'],
    ['the byte 0x0f', Uint8Array.of(0x0f), '0x0f'],
    ['the bytes 0x04 0x00 (1024)', Uint8Array.of(4, 0), '0x820400'],
    ['the set theoretical representation of three', [[], [[]], [[], [[]]]], '0xc7c0c1c0c3c0c1c0'],
    [
      'a 56-byte string',
      text('Lorem ipsum dolor sit amet, consectetur adipisicing elit'),
      `0xb838${Buffer.from('Lorem ipsum dolor sit amet, consectetur adipisicing elit').toString('hex')}`,
    ],
  ];
  for (const [name, item, expected] of cases) it(name, () => expect(toHex(rlpEncode(item))).toBe(expected));

  it('long lists and strings carry their length in big-endian bytes', () => {
    const big = new Uint8Array(1024).fill(0x61);
    expect(toHex(rlpEncode(big).subarray(0, 3))).toBe('0xb90400');
    expect(toHex(rlpEncode([big]).subarray(0, 3))).toBe('0xf90403');
  });
});

function ethersTx(vector: TxVector) {
  const p = vector.parameters as Record<string, string | number>;
  const common = { chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, to: p.to_address as string, value: p.value, data: `0x${p.data}` };
  return vector.type === 'eip1559'
    ? { ...common, type: 2, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee }
    : { ...common, type: 0, gasPrice: p.gas_price };
}

function code(fn: () => unknown): string {
  try {
    fn();
    return 'returned';
  } catch (e) {
    return isTrezorError(e) ? e.code : `other: ${String(e)}`;
  }
}

describe('signedTransaction: the firmware vectors', () => {
  for (const vector of vectors.eth_sign_tx) {
    const plan: TransactionPlan = planTransaction(ethersTx(vector));
    const e = vector.expected;
    const r = bytesOf(`0x${e.sig_r}`, 'r');
    const s = bytesOf(`0x${e.sig_s}`, 's');

    it(`${vector.type} ${vector.name}: the signed transaction, its signer, hash and v, r, s`, () => {
      const signed = signedTransaction(plan, { v: e.sig_v, r, s }, vector.from_address);
      expect(signed.serialized).toBe(vector.signed_raw_tx);
      expect(signed.from).toBe(vector.from_address);
      expect(signed.r).toBe(`0x${e.sig_r}`);
      expect(signed.s).toBe(`0x${e.sig_s}`);
      // ethers, decoding the vector's bytes, is the independent judge of v and the hash.
      const decoded = Transaction.from(vector.signed_raw_tx);
      expect(signed.hash).toBe(decoded.hash);
      expect(signed.yParity).toBe(decoded.signature!.yParity);
      expect(signed.v).toBe(vector.type === 'eip1559' ? BigInt(decoded.signature!.yParity) : decoded.signature!.networkV);
    });

    it(`${vector.type} ${vector.name}: a changed r, s or v, or another expected signer, is VerificationFailed`, () => {
      const flipped = (bytes: Uint8Array, at: number) => {
        const copy = bytes.slice();
        copy[at]! ^= 0x01;
        return copy;
      };
      expect(code(() => signedTransaction(plan, { v: e.sig_v, r: flipped(r, 31), s }, vector.from_address))).toBe('VerificationFailed');
      expect(code(() => signedTransaction(plan, { v: e.sig_v, r, s: flipped(s, 0) }, vector.from_address))).toBe('VerificationFailed');
      // The other parity recovers another key; for legacy, v ± 1 is that parity (or no parity at all).
      expect(code(() => signedTransaction(plan, { v: e.sig_v ^ 1, r, s }, vector.from_address))).toBe('VerificationFailed');
      expect(code(() => signedTransaction(plan, { v: e.sig_v + 2, r, s }, vector.from_address))).toBe('VerificationFailed');
      expect(code(() => signedTransaction(plan, { v: undefined, r, s }, vector.from_address))).toBe('VerificationFailed');
      expect(code(() => signedTransaction(plan, { v: e.sig_v, r: r.subarray(1), s }, vector.from_address))).toBe('VerificationFailed');
      expect(code(() => signedTransaction(plan, { v: e.sig_v, r, s }, vectors.eth_addresses[0]!.expected))).toBe(
        vectors.eth_addresses[0]!.expected === vector.from_address ? 'returned' : 'VerificationFailed',
      );
      // Another transaction (one more wei) under the same signature recovers to someone else.
      const other = planTransaction({ ...ethersTx(vector), value: BigInt(vector.parameters.value as string) + 1n });
      expect(code(() => signedTransaction(other, { v: e.sig_v, r, s }, vector.from_address))).toBe('VerificationFailed');
    });
  }
});

describe('on the virtual device: the vectors through signTransactionDetailed and the viem account', () => {
  const open: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of open.splice(0)) await close();
  });
  async function device(): Promise<Trezor> {
    const virtual = new VirtualTrezor({ mnemonic: 'all all all all all all all all all all all all', model: 'T2T1', firmware: '2.8.9', autoConfirm: true });
    const trezor = await connect({ transport: virtual.transport(), ui: {} });
    open.push(async () => {
      await trezor.close();
      await virtual.close();
    });
    return trezor;
  }

  it('signTransactionDetailed returns the vector signature, signer and signed bytes', async () => {
    const trezor = await device();
    for (const vector of vectors.eth_sign_tx) {
      const signed = await signTransactionDetailed(trezor, { path: vector.parameters.path as string, tx: ethersTx(vector) });
      expect(signed.serialized, vector.name).toBe(vector.signed_raw_tx);
      expect(signed.from).toBe(vector.from_address);
      expect([signed.r, signed.s]).toEqual([`0x${vector.expected.sig_r}`, `0x${vector.expected.sig_s}`]);
    }
  });

  it('a viem chain serializer still writes the signed bytes (here viem’s own, as a chain would pass it)', async () => {
    const trezor = await device();
    for (const vector of vectors.eth_sign_tx) {
      const account = await trezorAccount(trezor, { path: vector.parameters.path as string });
      const p = vector.parameters as Record<string, string | number>;
      const common = { chainId: Number(p.chain_id), nonce: Number(p.nonce), gas: BigInt(p.gas_limit!), to: p.to_address as `0x${string}`, value: BigInt(p.value!), data: `0x${p.data}` as `0x${string}` };
      const tx: TransactionSerializable =
        vector.type === 'eip1559'
          ? { ...common, type: 'eip1559', maxFeePerGas: BigInt(p.max_gas_fee!), maxPriorityFeePerGas: BigInt(p.max_priority_fee!) }
          : { ...common, type: 'legacy', gasPrice: BigInt(p.gas_price!) };
      let calls = 0;
      const serializer = ((t: TransactionSerializable, sig?: never) => (calls++, serializeTransaction(t, sig))) as never;
      expect(await account.signTransaction(tx as never, { serializer }), vector.name).toBe(vector.signed_raw_tx);
      expect(calls).toBe(2); // the unsigned bytes to recover over, then the signed ones
    }
  });
});
