/**
 * The library's THP client against the VirtualTrezor's THP mode (a virtual Safe 7, held to
 * trezorlib 0.20.1 by test/interop/thp.test.ts): in memory and over UDP, it detects THP, pairs by
 * code entry (the code read from the device's screen through the virtual debug link, as a user
 * would read it), reconnects with the stored credential without pairing again, and signs the
 * SLIP-14 Bitcoin and Ethereum vectors (test/fixtures/vectors/slip14.json: the firmware's own
 * device-test expectations).
 */
import { hex } from '@scure/base';
import { Transaction as EthTransaction } from 'ethers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signPsbt } from '../src/bitcoin/index.js';
import { signTransaction } from '../src/ethereum/index.js';
import { connect, type ThpCredential, type Trezor } from '../src/index.js';
import { udp } from '../src/node.js';
import { DebugLink } from '../src/testing/debuglink.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { SLIP14_MNEMONIC, loadVectors } from './support/fixtures.js';
import { slip14VectorPsbt } from './support/slip14-psbt.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const vectors: any = loadVectors();
const BTC = vectors.btc_sign_tx[0]; // test_signtx_segwit_native.py::test_send_native
const ETH = vectors.eth_sign_tx.find((v: { type: string }) => v.type === 'eip1559');

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

function virtualSafe7(): VirtualTrezor {
  const v = new VirtualTrezor({ model: 'T3W1', mnemonic: SLIP14_MNEMONIC, autoConfirm: true });
  cleanup.push(() => v.close());
  return v;
}

/** ui.pairing as a user: read the 6 digits off the device's screen (through the debug link). */
function readCodeFrom(debug: Pick<DebugLink, 'readLayout'>) {
  return vi.fn(async ({ method }: { method: string }) => {
    expect(method).toBe('code');
    for (let i = 0; i < 50; i++) {
      const code = /Pairing code\s*(\d{6})/.exec(await debug.readLayout())?.[1];
      if (code) return { code };
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no pairing code on the screen');
  });
}

function txOf(vector: { parameters: Record<string, string> }) {
  const p = vector.parameters;
  return { type: 2, chainId: Number(p.chain_id), nonce: Number(p.nonce), gasLimit: p.gas_limit, to: p.to_address, value: p.value, data: `0x${p.data}`, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee };
}

/** The two signing vectors, checked against the firmware's expected values. */
async function signVectors(trezor: Trezor): Promise<void> {
  const btc = await signPsbt(trezor, slip14VectorPsbt(BTC), { coin: BTC.coin_name });
  expect(hex.encode(btc.tx)).toBe(BTC.expected_serialized_tx);
  expect(btc.txid).toBe(BTC.expected_txid);
  const raw = await signTransaction(trezor, { path: ETH.parameters.path, tx: txOf(ETH) });
  const signature = EthTransaction.from(raw).signature!;
  expect(signature.r).toBe(`0x${ETH.expected.sig_r}`);
  expect(signature.s).toBe(`0x${ETH.expected.sig_s}`);
  expect(signature.yParity).toBe(ETH.expected.sig_v);
}

describe('THP client against the virtual Safe 7, in memory', () => {
  it('pairs by code, signs the Bitcoin and Ethereum vectors, reconnects with the credential without pairing', async () => {
    const v = virtualSafe7();
    const debug = v.debugLink();
    const stored: ThpCredential[] = [];
    const pairing = readCodeFrom(debug);
    const trezor = await connect({ transport: v.transport(), ui: { pairing }, onCredentials: (c) => stored.push(c), appName: 'vitest' });
    expect(trezor.protocol).toBe('thp');
    expect(pairing).toHaveBeenCalledTimes(1);
    expect(stored).toHaveLength(1);
    expect(trezor.features).toMatchObject({ internal_model: 'T3W1', model: 'Safe 7', initialized: true });
    await signVectors(trezor);
    expect(trezor.sessionId).toEqual(Uint8Array.of(1));
    await trezor.close();

    const again = vi.fn();
    const buttons: unknown[] = [];
    const second = await connect({ transport: v.transport(), ui: { pairing: again, button: (b) => buttons.push(b) }, credentials: stored });
    expect(again).not.toHaveBeenCalled(); // no pairing: the credential was accepted
    expect(buttons).toContainEqual(expect.objectContaining({ name: 'thp_connection_request' }));
    expect(second.protocol).toBe('thp');
    await signVectors(second);
    await second.close();
  });
});

describe('THP client against trezor-direct-virtual over UDP', () => {
  it('pairs by code read through the UDP debug link, signs, and reconnects with the credential', async () => {
    const v = virtualSafe7();
    const { port, debugPort } = await v.listenUdp({ port: 22600 });
    const debug = await DebugLink.connect({ port: debugPort });
    cleanup.push(() => debug.close());
    const stored: ThpCredential[] = [];
    const trezor = await connect({ transport: udp({ port }), ui: { pairing: readCodeFrom(debug) }, onCredentials: (c) => stored.push(c) });
    expect(trezor.protocol).toBe('thp');
    await signVectors(trezor);
    await trezor.close();

    const pairing = vi.fn();
    const second = await connect({ transport: udp({ port }), ui: { pairing }, credentials: stored });
    expect(pairing).not.toHaveBeenCalled();
    expect(second.features.internal_model).toBe('T3W1');
    await second.close();
  });
});
