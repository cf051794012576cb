// The Ethereum module end to end through the real session loop, framing and codec, against
// the virtual device's Ethereum handlers run on a scripted link (test/support), claiming any
// firmware version: here the version gates, screen sequences, rejection and host-side
// verification are pinned. The Core-only flows (EIP-1559 on 2.4.2+, the EIP-712 struct/value
// loop on 2.4.3+) also run in the device suite, on its T2T1@2.8.1 target (test/device).
import { HDKey } from '@scure/bip32';
import { SigningKey, Transaction, hexlify } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { getAddress, getPublicKey, signMessage, signTransaction, signTypedData } from '../src/ethereum/index.js';
import { CORE, CORE_241, ROOT, T1, closeEthereumDevices, ethereumDevice as device } from './support/ethereum-loopback.js';
import { loadVectors } from './support/fixtures.js';

const vectors = loadVectors();
afterEach(closeEthereumDevices);


function txOf(vector: (typeof vectors.eth_sign_tx)[number]) {
  const p = vector.parameters;
  const common = { chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, to: p.to_address, value: p.value, data: `0x${p.data}` };
  return vector.type === 'eip1559'
    ? { ...common, type: 2, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee }
    : { ...common, type: 0, gasPrice: p.gas_price };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return isTrezorError(e) ? e.code : `other: ${String(e)}`;
  }
}

for (const profile of [T1, CORE]) {
  describe(`SLIP-14 vectors on ${profile.model} ${profile.version.join('.')}`, () => {
    it('eth_addresses', async () => {
      const { trezor } = await device(profile);
      for (const vector of vectors.eth_addresses) expect(await getAddress(trezor, { path: vector.path })).toBe(vector.expected);
    });

    it('eth_sign_tx: signed transactions byte for byte', async () => {
      const { trezor } = await device(profile);
      for (const vector of vectors.eth_sign_tx) {
        expect(await signTransaction(trezor, { path: vector.parameters.path, tx: txOf(vector) }), vector.name).toBe(vector.signed_raw_tx);
      }
    });

    it('eth_sign_message', async () => {
      const { trezor } = await device(profile);
      for (const vector of vectors.eth_sign_message) {
        const signature = await signMessage(trezor, { path: vector.parameters.path, message: vector.parameters.msg });
        expect(signature).toBe(`0x${vector.expected.sig}`);
      }
    });

    it('eth_sign_typed_data', async () => {
      const { trezor, received } = await device(profile);
      for (const vector of vectors.eth_sign_typed_data) {
        const { types, domain, message, primaryType } = vector.parameters.data;
        const signature = await signTypedData(trezor, { path: vector.parameters.path, types, domain, message, primaryType });
        expect(signature, vector.name).toBe(vector.expected.sig);
      }
      const names = received.map((m) => m.type);
      if (profile.model === 'T1B1') {
        expect(names).toContain('EthereumSignTypedHash');
        expect(names).not.toContain('EthereumSignTypedData');
      } else {
        expect(names).toContain('EthereumTypedDataStructAck');
        expect(names).not.toContain('EthereumSignTypedHash');
      }
    });
  });
}

describe('firmware gates', () => {
  it('Model T 2.4.1: EIP-1559 and EIP-712 are NotSupported before anything reaches the device', async () => {
    const { trezor, received } = await device(CORE_241);
    const v1559 = vectors.eth_sign_tx.find((v: { name: string }) => v.name === 'nodata');
    const typed = vectors.eth_sign_typed_data[1].parameters;
    const before = received.length;
    expect(await codeOf(signTransaction(trezor, { path: v1559.parameters.path, tx: txOf(v1559) }))).toBe('NotSupported');
    expect(await codeOf(signTypedData(trezor, { path: typed.path, ...typed.data }))).toBe('NotSupported');
    expect(received.length).toBe(before);
    // Legacy signing works on 2.4.1.
    const legacy = vectors.eth_sign_tx.find((v: { name: string }) => v.name === 'Ethereum');
    expect(await signTransaction(trezor, { path: legacy.parameters.path, tx: txOf(legacy) })).toBe(legacy.signed_raw_tx);
  });

  it('the virtual Core 2.4.1 answers what it does not know like the firmware: UnexpectedMessage', async () => {
    const { trezor } = await device(CORE_241);
    const typedHash = { address_n: [0x8000002c, 0x8000003c, 0x80000000, 0, 0], domain_separator_hash: new Uint8Array(32) };
    expect(await codeOf(trezor.call('EthereumSignTypedHash', typedHash))).toBe('UnexpectedMessage');
    expect(await codeOf(trezor.call('EthereumSignTypedData', { address_n: [], primary_type: 'EIP712Domain' }))).toBe('UnexpectedMessage');
  });
});

describe('flows as recorded from the Trezor One emulator', () => {
  const to = '0x1d1c328764a41bda0492b66baa30c4a339ff85ef';
  const bigData = hexlify(new Uint8Array(4099).map((_, i) => 0x41 + (i % 16)));

  it('4099 bytes of data: 5 data pages, too-long warning, fee; chunks 1024, 1024, 1024, 3 (test_data_streaming)', async () => {
    const { trezor, buttons, dataRequests } = await device(T1);
    await signTransaction(trezor, { path: "m/44'/60'/0'/0/0", tx: { chainId: 1, nonce: 0, gasLimit: 20000, gasPrice: 20000, to, value: 0, data: bigData } });
    expect(buttons).toEqual([...Array(6).fill('ButtonRequest_SignTx'), 'ButtonRequest_ProtectCall', 'ButtonRequest_SignTx']);
    expect(dataRequests).toEqual([1024, 1024, 1024, 3]);
  });

  it('EIP-1559 with big data: three fee screens (test_signtx_eip1559[data_2_bigdata])', async () => {
    const { trezor, buttons } = await device(T1);
    await signTransaction(trezor, { path: "m/44'/60'/0'/0/0", tx: { chainId: 1, nonce: 0, gasLimit: 20000, maxFeePerGas: 20, maxPriorityFeePerGas: 1, to, value: 0, data: bigData } });
    expect(buttons).toEqual([...Array(6).fill('ButtonRequest_SignTx'), 'ButtonRequest_ProtectCall', ...Array(3).fill('ButtonRequest_SignTx')]);
  });

  it('message pages: 72 ASCII characters a page (test_signmessage)', async () => {
    const { trezor, buttons } = await device(T1);
    await signMessage(trezor, { path: "m/44'/60'/0'/0/0", message: vectors.eth_sign_message[3].parameters.msg });
    expect(buttons).toEqual(Array(3).fill('ButtonRequest_Other'));
  });

  it('typed hash: warning, address, domain, message (test_ethereum_sign_typed_data_blind)', async () => {
    const { trezor, buttons } = await device(T1);
    const { path, data } = vectors.eth_sign_typed_data[1].parameters;
    await signTypedData(trezor, { path, ...data });
    expect(buttons).toEqual(['ButtonRequest_ProtectCall', 'ButtonRequest_Other', 'ButtonRequest_Other', 'ButtonRequest_Other']);
  });

  it('the path address is asked once per session, silently', async () => {
    const { trezor, received } = await device(T1);
    const tx = { chainId: 1, nonce: 0, gasLimit: 21000, gasPrice: 1, to };
    await signTransaction(trezor, { path: "m/44'/60'/0'/0/0", tx });
    await signTransaction(trezor, { path: "m/44'/60'/0'/0/0", tx });
    const gets = received.filter((m) => m.type === 'EthereumGetAddress');
    expect(gets).toHaveLength(1);
    expect(gets[0]!.message).toMatchObject({ show_display: false });
  });
});

describe('rejection and verification', () => {
  const to = '0x1d1c328764a41bda0492b66baa30c4a339ff85ef';
  const tx = { chainId: 1, nonce: 0, gasLimit: 21000, gasPrice: 1, to };

  for (const profile of [T1, CORE]) {
    it(`"no" on the device is ActionCancelled (${profile.model})`, async () => {
      const { trezor } = await device({ ...profile, decisions: ['yes', 'no'] });
      expect(await codeOf(signTransaction(trezor, { path: "m/44'/60'/0'/0/0", tx }))).toBe('ActionCancelled');
      const again = await device({ ...profile, decisions: ['no'] });
      expect(await codeOf(signMessage(again.trezor, { path: "m/44'/60'/0'/0/0", message: 'hi' }))).toBe('ActionCancelled');
    });
  }

  it('a transaction signature from another key is VerificationFailed', async () => {
    const other = HDKey.fromMasterSeed(new Uint8Array(64).fill(7));
    const { trezor } = await device({
      ...T1,
      tamper: (reply) => {
        if (reply.type !== 'EthereumTxRequest' || !reply.message.signature_r) return reply;
        // Same transaction, wrong key: the signature verifies, but recovers to someone else.
        const unsigned = Transaction.from({ type: 0, chainId: 1, nonce: 0, gasLimit: 21000, gasPrice: 1, to });
        const sig = new SigningKey(other.privateKey!).sign(unsigned.unsignedHash);
        return { type: 'EthereumTxRequest', message: { signature_v: 37 + sig.yParity, signature_r: hexToBytes(sig.r), signature_s: hexToBytes(sig.s) } };
      },
    });
    expect(await codeOf(signTransaction(trezor, { path: "m/44'/60'/0'/0/0", tx }))).toBe('VerificationFailed');
  });

  it('a flipped message signature is VerificationFailed', async () => {
    const { trezor } = await device({
      ...CORE,
      tamper: (reply) => {
        if (reply.type !== 'EthereumMessageSignature') return reply;
        const signature = reply.message.signature.slice();
        signature[10]! ^= 1;
        return { type: reply.type, message: { ...reply.message, signature } };
      },
    });
    expect(await codeOf(signMessage(trezor, { path: "m/44'/60'/0'/0/0", message: 'hi' }))).toBe('VerificationFailed');
  });

  it('tx.from other than the path address is InvalidParameters, before the signing request', async () => {
    const { trezor, received } = await device(T1);
    const code = await codeOf(signTransaction(trezor, { path: "m/44'/60'/0'/0/0", tx: { ...tx, from: to } }));
    expect(code).toBe('InvalidParameters');
    expect(received.map((m) => m.type)).not.toContain('EthereumSignTx');
  });

  it('a forbidden path is refused by the device with safety checks on', async () => {
    const { trezor } = await device(T1);
    expect(await codeOf(getPublicKey(trezor, { path: "m/46'/60'/0'" }))).toBe('FirmwareError');
    const relaxed = await device({ ...T1, safetyChecks: 'PromptTemporarily' });
    await getAddress(relaxed.trezor, { path: "m/44'/60'/0'/0/0/7" });
    expect(relaxed.buttons).toEqual(['ButtonRequest_UnknownDerivationPath']);
  });

  it("getPublicKey: the node at m/44'/60'/0' and its address (eth_addresses[0])", async () => {
    const { trezor } = await device(CORE_241);
    const key = await getPublicKey(trezor, { path: "m/44'/60'/0'" });
    const node = ROOT.derive("m/44'/60'/0'");
    expect(key).toMatchObject({ depth: 3, xpub: node.publicExtendedKey, publicKey: hexlify(node.publicKey!), chainCode: hexlify(node.chainCode!) });
    expect(key.address).toBe(vectors.eth_addresses[0].expected);
  });
});

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/, ''), 'hex'));
}
