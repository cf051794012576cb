// An app can end up with two copies of ethers (its own, and one nested under a library). A
// Transaction built with the other copy is not `instanceof` ours; TrezorSigner must still
// sign it exactly as given, without re-populating it through the provider. The second copy
// here is real: ethers' CommonJS build, loaded with require(), is a separate module instance
// with its own Transaction class. Expected bytes are the firmware's SLIP-14 vectors.
import { createRequire } from 'node:module';
import * as esm from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { TrezorSigner } from '../src/ethereum/index.js';
import { T1, closeEthereumDevices, ethereumDevice } from './support/ethereum-loopback.js';
import { loadVectors } from './support/fixtures.js';

const cjs = createRequire(import.meta.url)('ethers') as typeof esm;
const vectors = loadVectors();
afterEach(closeEthereumDevices);

/** A provider that records every method called on it (none may be). */
function recordingProvider(calls: string[]): esm.Provider {
  return new Proxy({} as esm.Provider, {
    get(_target, name) {
      if (name === 'then') return undefined;
      return (...args: unknown[]) => {
        calls.push(String(name));
        throw new Error(`provider.${String(name)}(${args.length} args) called`);
      };
    },
  });
}

describe('TrezorSigner and a second copy of ethers', () => {
  it('the CommonJS ethers really is another copy', () => {
    expect(cjs.Transaction).not.toBe(esm.Transaction);
    expect(cjs.Transaction.from({ chainId: 1 }) instanceof esm.Transaction).toBe(false);
  });

  for (const vector of vectors.eth_sign_tx as { name: string; type: string; parameters: Record<string, string | number>; signed_raw_tx: string }[]) {
    it(`signs a foreign Transaction as given: ${vector.name} (${vector.type})`, async () => {
      const p = vector.parameters;
      const common = { chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, to: p.to_address as string, value: p.value, data: `0x${p.data}` };
      const tx = cjs.Transaction.from(
        vector.type === 'eip1559'
          ? { ...common, type: 2, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee }
          : { ...common, type: 0, gasPrice: p.gas_price },
      );
      const { trezor } = await ethereumDevice(T1);
      const calls: string[] = [];
      const signer = new TrezorSigner(trezor, { path: p.path as string, provider: recordingProvider(calls) });
      expect(await signer.signTransaction(tx as unknown as esm.Transaction)).toBe(vector.signed_raw_tx);
      expect(calls).toEqual([]);
    });
  }
});
