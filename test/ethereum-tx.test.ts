// Pure parts of the Ethereum transaction flow: validation before any device I/O, the request
// fields (minimal big-endian quantities), the calldata chunk plan, v for huge chain ids, and
// re-assembly of the signed transaction against the firmware's own vectors.
import { hexlify, Transaction } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { applySignature, dataChunkPlan, eip155V, MAX_CHAIN_ID_FULL_V, planTransaction, quantityBytes, yParityFromDevice } from '../src/ethereum/tx.js';
import { keccak256, toHex } from '../src/ethereum/crypto.js';
import { unsignedPayload } from '../src/ethereum/tx-encode.js';
import { loadVectors } from './support/fixtures.js';

const vectors = loadVectors();
const to = '0x1d1c328764a41bda0492b66baa30c4a339ff85ef';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isTrezorError(e) ? `${e.code}${e.field ? `:${e.field}` : ''}` : `other:${(e as Error).message}`;
  }
  return undefined;
}

describe('planTransaction: validation', () => {
  const base = { chainId: 1, nonce: 0, gasLimit: 21000, gasPrice: 1n, to, value: 1n };

  it('refuses a transaction without chain id: the firmware needs chain_id ≥ 1 (EIP-155), and there is no opt-out', () => {
    expect(code(() => planTransaction({ ...base, chainId: undefined }))).toBe('InvalidParameters:tx.chainId');
    expect(code(() => planTransaction({ ...base, chainId: 0 }))).toBe('InvalidParameters:tx.chainId');
    expect(() => planTransaction({ ...base, chainId: undefined })).toThrow(/chain id of 1 or more/);
  });

  it('names the bad field', () => {
    expect(code(() => planTransaction({ ...base, nonce: undefined }))).toBe('InvalidParameters:tx.nonce');
    expect(code(() => planTransaction({ ...base, gasLimit: undefined }))).toBe('InvalidParameters:tx.gasLimit');
    expect(code(() => planTransaction({ ...base, gasPrice: undefined }))).toBe('InvalidParameters:tx.gasPrice');
    expect(code(() => planTransaction({ ...base, to: '0x1234' }))).toBe('InvalidParameters:tx.to');
    expect(code(() => planTransaction({ ...base, to: '0x8eA7a3fccC211ED48b763b4164884DDbcF3b0A99' }))).toBe('InvalidParameters:tx.to');
    expect(code(() => planTransaction({ ...base, value: -1n }))).toBe('InvalidParameters:tx.value');
    expect(code(() => planTransaction({ ...base, value: 2n ** 256n }))).toBe('InvalidParameters:tx.value');
    expect(code(() => planTransaction({ ...base, data: '0xzz' }))).toBe('InvalidParameters:tx.data');
    expect(code(() => planTransaction({ ...base, to: null }))).toBe('InvalidParameters:tx.to');
    expect(code(() => planTransaction({ ...base, chainId: 2n ** 64n }))).toBe('InvalidParameters:tx.chainId');
    expect(code(() => planTransaction({ ...base, gasPrice: 2n ** 200n, gasLimit: 2n ** 60n }))).toBe('InvalidParameters:tx.gasPrice');
    expect(code(() => planTransaction({ ...base, gasPrice: undefined, maxFeePerGas: 1n, maxPriorityFeePerGas: 2n }))).toBe(
      'InvalidParameters:tx.maxPriorityFeePerGas',
    );
  });

  it('refuses transaction kinds the firmware cannot sign', () => {
    expect(code(() => planTransaction({ ...base, type: 1 }))).toBe('NotSupported');
    expect(code(() => planTransaction({ ...base, type: 3 }))).toBe('NotSupported');
    expect(code(() => planTransaction({ ...base, accessList: [{ address: to, storageKeys: [] }] }))).toBe('NotSupported');
    expect(code(() => planTransaction({ ...base, type: 7 }))).toBe('InvalidParameters:tx.type');
  });

  it('infers the type from the fee fields and allows contract creation with data', () => {
    expect(planTransaction(base).type).toBe(0);
    const { gasPrice: _, ...rest } = base;
    expect(planTransaction({ ...rest, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n }).type).toBe(2);
    const creation = planTransaction({ ...base, to: null, data: '0x6000' });
    expect(creation.fields.to).toBe('');
    expect(creation.fields.data_length).toBe(2);
  });
});

describe('planTransaction: request fields as trezorlib sends them', () => {
  for (const vector of vectors.eth_sign_tx) {
    it(`${vector.type} ${vector.name}`, () => {
      const p = vector.parameters;
      const tx =
        vector.type === 'eip1559'
          ? { type: 2, chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee, to: p.to_address, value: p.value, data: `0x${p.data}` }
          : { type: 0, chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, gasPrice: p.gas_price, to: p.to_address, value: p.value, data: `0x${p.data}` };
      const plan = planTransaction(tx);
      const expected = vector.device_request.fields_hex;
      const fields = plan.fields as unknown as Record<string, unknown>;
      for (const key of ['nonce', 'gas_limit', 'value', 'data_initial_chunk', 'gas_price', 'max_gas_fee', 'max_priority_fee']) {
        if (expected[key] === undefined) continue;
        expect(hexlify(fields[key] as Uint8Array).slice(2), key).toBe(expected[key]);
      }
      expect(fields.data_length).toBe(expected.data_length);
      expect(fields.chain_id).toBe(BigInt(expected.chain_id));
      expect((fields.to as string).toLowerCase()).toBe(expected.to.toLowerCase());
      expect(toHex(keccak256(unsignedPayload(plan)))).toBe(vector.unsigned_hash);

      // The device's (v, r, s) go back in; the result is the vector's signed transaction.
      const e = vector.expected;
      const signed = applySignature(plan, e.sig_v, Uint8Array.from(Buffer.from(e.sig_r, 'hex')), Uint8Array.from(Buffer.from(e.sig_s, 'hex')));
      expect(signed.serialized).toBe(vector.signed_raw_tx);
      expect(signed.from).toBe(vector.from_address);
    });
  }
});

describe('calldata chunks', () => {
  it('follows the firmware: initial 1024, then up to 1024 per request', () => {
    expect(dataChunkPlan(0)).toEqual([]);
    expect(dataChunkPlan(1024)).toEqual([]);
    expect(dataChunkPlan(1025)).toEqual([1]);
    expect(dataChunkPlan(4099)).toEqual([1024, 1024, 1024, 3]);
  });

  it('covers the data exactly, property', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), (n) => {
        const plan = dataChunkPlan(n);
        expect(Math.min(n, 1024) + plan.reduce((a, b) => a + b, 0)).toBe(n);
        expect(plan.every((c) => c >= 1 && c <= 1024)).toBe(true);
      }),
    );
  });

  it('puts at most 1024 bytes in the start message', () => {
    const plan = planTransaction({ chainId: 1, nonce: 0, gasLimit: 1e6, gasPrice: 1, to, data: hexlify(new Uint8Array(4099).fill(0x41)) });
    expect(plan.fields.data_initial_chunk.length).toBe(1024);
    expect(plan.fields.data_length).toBe(4099);
  });
});

describe('signature v', () => {
  it('legacy: full EIP-155 v up to MAX_CHAIN_ID_FULL_V, parity alone above it', () => {
    expect(yParityFromDevice(0, 37, 1n)).toBe(0);
    expect(yParityFromDevice(0, 38, 1n)).toBe(1);
    expect(yParityFromDevice(0, 39, 1n)).toBeUndefined();
    expect(yParityFromDevice(0, 4294967293, MAX_CHAIN_ID_FULL_V)).toBe(0);
    expect(yParityFromDevice(0, 1, 3125659152n)).toBe(1);
    expect(yParityFromDevice(0, 0, 2n ** 63n)).toBe(0);
    expect(yParityFromDevice(2, 1, 1n)).toBe(1);
    expect(yParityFromDevice(2, 27, 1n)).toBeUndefined();
  });

  it('a huge chain id serializes with v = 2·chainId + 35 + parity, property', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MAX_CHAIN_ID_FULL_V + 1n, max: 2n ** 64n - 1n }), fc.constantFrom(0 as const, 1 as const), (chainId, parity) => {
        const plan = planTransaction({ chainId, nonce: 0, gasLimit: 21000, gasPrice: 1, to, value: 1 });
        // r must be the x of a curve point for the signer to be recovered: the generator's x (SEC 2).
        const r = Uint8Array.from(Buffer.from('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex'));
        const s = new Uint8Array(32).fill(0x22);
        const signed = applySignature(plan, parity, r, s);
        const decoded = Transaction.from(signed.serialized);
        expect(decoded.chainId).toBe(chainId);
        expect(decoded.signature!.yParity).toBe(parity);
        expect(decoded.signature!.networkV).toBe(eip155V(chainId, parity));
        expect(decoded.from).toBe(signed.from); // ethers recovers the same signer from our bytes
        expect(decoded.hash).toBe(signed.hash);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects an incomplete or inconsistent device signature', () => {
    const plan = planTransaction({ chainId: 1, nonce: 0, gasLimit: 21000, gasPrice: 1, to });
    const r = new Uint8Array(32).fill(1);
    expect(code(() => applySignature(plan, 37, r, undefined))).toBe('VerificationFailed');
    expect(code(() => applySignature(plan, 40, r, r))).toBe('VerificationFailed');
    expect(code(() => applySignature(plan, 37, r.subarray(1), r))).toBe('VerificationFailed');
  });

  it('quantities are minimal big-endian, zero empty', () => {
    expect(quantityBytes(0n)).toEqual(new Uint8Array(0));
    expect(hexlify(quantityBytes(0x14n))).toBe('0x14');
    expect(hexlify(quantityBytes(0x4a817c800n))).toBe('0x04a817c800');
  });
});
