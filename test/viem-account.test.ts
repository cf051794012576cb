// trezorAccount (trezor-direct/viem) against the VirtualTrezor: the SLIP-14 Ethereum vectors
// (test/fixtures/vectors/slip14.json, from the firmware's common/tests/fixtures/ethereum) come
// out of viem's own account interface, signed by a Trezor One 1.14.1 (EIP-712 as two hashes)
// and a Model T 2.8.9 (the EIP-712 struct/value loop). Transaction signatures are compared part
// by part with the firmware's (r, s, v) after viem parses what the account returned.
import { afterEach, describe, expect, it } from 'vitest';
import { parseTransaction, recoverMessageAddress, type TransactionSerializable } from 'viem';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { isTrezorError } from '../src/errors.js';
import { trezorAccount } from '../src/viem/index.js';
import { loadVectors } from './support/fixtures.js';

const vectors = loadVectors();
const MNEMONIC = 'all all all all all all all all all all all all';

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function device(model: 'T1B1' | 'T2T1', firmware?: string): Promise<Trezor> {
  const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model, autoConfirm: true, ...(firmware ? { firmware } : {}) });
  const trezor = await connect({ transport: virtual.transport(), ui: {} });
  open.push(async () => {
    await trezor.close();
    await virtual.close();
  });
  return trezor;
}

type TxVector = (typeof vectors.eth_sign_tx)[number];
function viemTx(vector: TxVector): TransactionSerializable {
  const p = vector.parameters as Record<string, string | number>;
  const common = {
    chainId: Number(p.chain_id),
    nonce: Number(p.nonce),
    gas: BigInt(p.gas_limit!),
    to: p.to_address as `0x${string}`,
    value: BigInt(p.value!),
    data: `0x${p.data}` as `0x${string}`,
  };
  return vector.type === 'eip1559'
    ? { ...common, type: 'eip1559', maxFeePerGas: BigInt(p.max_gas_fee!), maxPriorityFeePerGas: BigInt(p.max_priority_fee!) }
    : { ...common, type: 'legacy', gasPrice: BigInt(p.gas_price!) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return isTrezorError(e) ? `${e.code}${e.field ? `:${e.field}` : ''}` : `other: ${String(e)}`;
  }
}

for (const [model, firmware] of [['T1B1', undefined], ['T2T1', '2.8.9']] as const) {
  describe(`viem account on a virtual ${model}${firmware ? ` ${firmware}` : ''}`, () => {
    it('eth_addresses: the account address of each vector path', async () => {
      const trezor = await device(model, firmware);
      for (const vector of vectors.eth_addresses) {
        const account = await trezorAccount(trezor, { path: vector.path });
        expect(account.address).toBe(vector.expected);
        expect(account.type).toBe('local');
        expect(account.source).toBe('trezor');
      }
    });

    it('eth_sign_tx: legacy and EIP-1559, the firmware vectors r, s, v', async () => {
      const trezor = await device(model, firmware);
      for (const vector of vectors.eth_sign_tx) {
        const account = await trezorAccount(trezor, { path: vector.parameters.path });
        const raw = await account.signTransaction(viemTx(vector));
        expect(raw, vector.name).toBe(vector.signed_raw_tx);
        const parsed = parseTransaction(raw);
        expect(parsed.r).toBe(`0x${vector.expected.sig_r}`);
        expect(parsed.s).toBe(`0x${vector.expected.sig_s}`);
        if (vector.type === 'eip1559') expect(parsed.yParity, vector.name).toBe(vector.expected.sig_v);
        // Legacy: the full EIP-155 v, which the firmware returns for chain ids that fit.
        else expect(parsed.v, vector.name).toBe(BigInt(vector.expected.sig_v));
      }
    });

    it('eth_sign_message: EIP-191 signatures', async () => {
      const trezor = await device(model, firmware);
      for (const vector of vectors.eth_sign_message) {
        const account = await trezorAccount(trezor, { path: vector.parameters.path });
        const signature = await account.signMessage({ message: vector.parameters.msg });
        expect(signature).toBe(`0x${vector.expected.sig}`);
        expect(await recoverMessageAddress({ message: vector.parameters.msg, signature })).toBe(vector.expected.address);
      }
      // { raw } messages are signed as the bytes they hold.
      const account = await trezorAccount(trezor, { path: vectors.eth_sign_message[0].parameters.path });
      const bytes = new TextEncoder().encode(vectors.eth_sign_message[0].parameters.msg);
      expect(await account.signMessage({ message: { raw: bytes } })).toBe(`0x${vectors.eth_sign_message[0].expected.sig}`);
    });

    it('eth_sign_typed_data: EIP-712 v4 signatures', async () => {
      const trezor = await device(model, firmware);
      for (const vector of vectors.eth_sign_typed_data) {
        const account = await trezorAccount(trezor, { path: vector.parameters.path });
        const { types, domain, message, primaryType } = vector.parameters.data;
        const signature = await account.signTypedData({ types, domain, message, primaryType } as never);
        expect(signature, vector.name).toBe(vector.expected.sig);
      }
    });
  });
}

describe('viem account: what the firmware cannot sign is refused before the device', () => {
  it('EIP-2930, EIP-4844 and EIP-7702 are NotSupported; bad fields are named', async () => {
    const trezor = await device('T2T1', '2.8.9');
    const account = await trezorAccount(trezor);
    const base = { chainId: 1, nonce: 0, gas: 21000n, to: '0x8eA7a3fccC211ED48b763b4164884DDbcF3b0A98', value: 1n } as const;
    const accessList = [{ address: base.to, storageKeys: [] }];
    expect(await codeOf(account.signTransaction({ ...base, type: 'eip2930', gasPrice: 1n, accessList }))).toBe('NotSupported');
    expect(await codeOf(account.signTransaction({ ...base, gasPrice: 1n, accessList } as never))).toBe('NotSupported');
    expect(await codeOf(account.signTransaction({ ...base, type: 'eip7702', maxFeePerGas: 2n, maxPriorityFeePerGas: 1n, authorizationList: [] } as never))).toBe('NotSupported');
    expect(await codeOf(account.signTransaction({ ...base, chainId: undefined, gasPrice: 1n } as never))).toBe('InvalidParameters:tx.chainId');
    expect(await codeOf(account.signTransaction({ ...base, to: '0x8eA7a3fccC211ED48b763b4164884DDbcF3b0A99', gasPrice: 1n }))).toBe('InvalidParameters:tx.to');
    expect(await codeOf(account.signTransaction({ ...base, maxFeePerGas: 1n, maxPriorityFeePerGas: 2n }))).toBe('InvalidParameters:tx.maxPriorityFeePerGas');
    expect(await codeOf(account.signTransaction({ ...base } as never))).toBe('InvalidParameters:tx.gasPrice');
    expect(await codeOf(account.signMessage({ message: 42 } as never))).toBe('InvalidParameters:message');
  });

  it('an EIP-1559 transaction on firmware without it (Model T 2.4.1) is NotSupported', async () => {
    const trezor = await device('T2T1');
    const account = await trezorAccount(trezor);
    const tx = { chainId: 1, nonce: 0, gas: 21000n, to: '0x8eA7a3fccC211ED48b763b4164884DDbcF3b0A98', value: 1n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n } as const;
    expect(await codeOf(account.signTransaction(tx))).toBe('NotSupported');
    expect(await codeOf(account.signTransaction({ ...tx, maxFeePerGas: undefined, maxPriorityFeePerGas: undefined, gasPrice: 2n }))).toBe('resolved');
  });
});
