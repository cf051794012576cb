/**
 * The two paths of test/connect-web*.test.ts, side by side on two VirtualTrezors with the
 * SLIP-14 seed: @trezor/connect (the npm package, Node build: its core runs in this process)
 * over its own UdpTransport to one served on UDP (listenUdp), and trezor-direct's own session
 * on the other (in memory). `connectVectorSuite(model)` checks that every vector comes out of
 * both paths, identical, and equal to the firmware's expected value
 * (test/fixtures/vectors/slip14.json). Buttons are pressed through the debug link when Connect
 * reports them (UI_EVENT ui-button).
 *
 * Connect's UdpTransport only looks at 127.0.0.1:21324, the official emulator's fixed port,
 * which other programs on this machine may use: the transport below is Connect's own class
 * with its enumerate() pointed at the port listenUdp picked. Offline, Connect warns once per
 * Ethereum signing call that it could not fetch network definitions (data.trezor.io) and
 * carries on without them; that warning is filtered out of the log.
 * TrezorConnect is one object per process: one suite per test file (vitest runs each file in
 * its own worker).
 */
import * as connectModule from '@trezor/connect';
import { UdpTransport } from '@trezor/transport';
import { hex, base64 } from '@scure/base';
import { Transaction } from 'ethers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/session/connect.js';
import type { Trezor } from '../../src/session/trezor.js';
import type { Model } from '../../src/testing/virtual/context.js';
import * as bitcoin from '../../src/bitcoin/index.js';
import * as ethereum from '../../src/ethereum/index.js';
import { fromTrezorConnect, type TrezorConnectAdapter } from '../../src/connect-web/index.js';
import { VirtualTrezor } from '../../src/testing/virtual/device.js';
import { listenUdp } from '../../src/testing/node.js';
import { ROOT_FINGERPRINT } from './bitcoin-wallet.js';
import { SLIP14_MNEMONIC, loadVectors } from './fixtures.js';
import { SCRIPT_TYPES, slip14VectorPsbt } from './slip14-psbt.js';

// @trezor/connect is CommonJS: its default export arrives as `.default` (once more under Node's ESM interop).
const moduleExports = connectModule as unknown as { default: { default?: unknown } };
export const TrezorConnect = (moduleExports.default.default ?? moduleExports.default) as typeof connectModule.default;
const { UI_EVENT } = connectModule;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const vectors: any = loadVectors();
const TYPES = SCRIPT_TYPES;
export { slip14VectorPsbt as vectorPsbt };

/** it.each cases: [test name, vector]. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function cases(list: any[], name: (v: any) => string): [string, any][] {
  return list.map((v) => [name(v), v]);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function ethTx(vector: any) {
  const p = vector.parameters;
  const common = { chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, to: p.to_address, value: p.value, data: `0x${p.data}` };
  return vector.type === 'eip1559'
    ? { ...common, type: 2, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee }
    : { ...common, type: 0, gasPrice: p.gas_price };
}

/** What a suite hands its tests: the adapter on Connect, the direct session, the debug answer. */
export interface ConnectSuite {
  viaConnect(): TrezorConnectAdapter;
  direct(): Trezor;
  setAnswer(answer: 'yes' | 'no'): void;
}

/**
 * Set up both paths on a `model` VirtualTrezor (beforeAll/afterAll) and check every vector
 * through both.
 * @example const suite = connectVectorSuite('T1B1', 'Trezor One 1.14.1')
 */
export function connectVectorSuite(model: Model, label: string): ConnectSuite {
  let viaConnect: TrezorConnectAdapter;
  let direct: Trezor;
  let answer: 'yes' | 'no' = 'yes';
  const devices: VirtualTrezor[] = [];

  beforeAll(async () => {
    // Keep the log readable: Connect's warning about the definitions it cannot fetch offline is
    // expected (see the header); any other warning is printed.
    const warn = console.warn.bind(console);
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('unable to download or parse') && args[0].includes('data.trezor.io')) return;
      warn(...args);
    });
    const served = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, model });
    const local = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, model });
    devices.push(served, local);
    const { port } = await listenUdp(served, { port: 0 });
    const debug = served.debugLink();
    const path = `127.0.0.1:${port}`;
    // Connect's UdpTransport, aimed at our port (see the header).
    class VirtualUdpTransport extends UdpTransport {
      constructor(params: ConstructorParameters<typeof UdpTransport>[0]) {
        super(params);
        const api = (this as unknown as { api: Record<string, unknown> & { type: string } }).api;
        api.enumerate = async function (this: typeof api & Record<string, (...a: unknown[]) => unknown>, signal?: AbortSignal) {
          const up = await this.ping!(path, signal);
          const found = up ? [{ path, type: 1, product: 0, vendor: 0, id: path, apiType: this.type }] : [];
          this.handleDevicesChange!(found);
          return this.success!(found);
        };
      }
    }
    TrezorConnect.on(UI_EVENT, (event: { type: string }) => {
      if (event.type === 'ui-button') void debug.press(answer);
    });
    await TrezorConnect.init({
      manifest: { appName: 'trezor-direct tests', email: 'tests@example.invalid', appUrl: 'http://127.0.0.1' },
      transports: [VirtualUdpTransport as never],
      popup: false,
      lazyLoad: false,
    } as never);
    viaConnect = fromTrezorConnect(TrezorConnect);
    const localDebug = local.debugLink();
    direct = await connect({ transport: local.transport(), ui: { button: () => void localDebug.press('yes') } });
  }, 60_000);

  afterAll(async () => {
    await TrezorConnect.dispose();
    await direct?.close();
    for (const device of devices) await device.close();
  });


  describe(`Bitcoin through Trezor Connect and directly (${label})`, () => {
    it.each(cases(vectors.btc_addresses, (v) => `${v.coin} ${v.path} ${v.script_type}`))('getAddress %s', async (_name, v: any) => {
      const parameters = { path: v.path, coin: v.coin, scriptType: TYPES[v.script_type] };
      expect(await viaConnect.bitcoin.getAddress(parameters)).toBe(v.expected);
      expect(await bitcoin.getAddress(direct, parameters)).toBe(v.expected);
    });

    it.each(cases(vectors.btc_xpubs, (v) => `${v.coin} ${v.path} ${v.script_type ?? 'SPENDADDRESS'}${v.ignore_xpub_magic ? ' plain' : ''}`))(
      'getPublicKey %s',
      async (_name, v: any) => {
        const parameters = { path: v.path, coin: v.coin, scriptType: TYPES[v.script_type ?? 'SPENDADDRESS'], ignoreXpubMagic: v.ignore_xpub_magic === true };
        const key = await viaConnect.bitcoin.getPublicKey(parameters);
        expect(key.xpub).toBe(v.expected_xpub);
        expect(key.rootFingerprint).toBe(ROOT_FINGERPRINT);
        expect(key).toEqual(await bitcoin.getPublicKey(direct, parameters));
      },
    );

    it.each(cases(vectors.btc_sign_message, (v) => `${v.coin} ${v.case}${v.no_script_type ? ' (no script type)' : ''}`))('signMessage %s', async (_name, v: any) => {
      const parameters = { path: v.path, message: v.message, coin: v.coin, scriptType: TYPES[v.script_type], noScriptType: v.no_script_type };
      const expected = { address: v.expected_address, signature: base64.encode(hex.decode(v.expected_signature)) };
      expect(await viaConnect.bitcoin.signMessage(parameters)).toEqual(expected);
      expect(await bitcoin.signMessage(direct, parameters)).toEqual(expected);
    });

    it.each(cases(vectors.btc_sign_tx, (v) => v.id))('signPsbt %s', async (_name, v: any) => {
      const psbt = slip14VectorPsbt(v);
      const result = await viaConnect.bitcoin.signPsbt(psbt, { coin: v.coin_name });
      expect(hex.encode(result.tx)).toBe(v.expected_serialized_tx);
      expect(result.txid).toBe(v.expected_txid);
      expect(result).toEqual(await bitcoin.signPsbt(direct, psbt, { coin: v.coin_name }));
    });
  });

  describe(`Ethereum through Trezor Connect and directly (${label})`, () => {
    it.each(cases(vectors.eth_addresses, (v) => v.path))('getAddress %s', async (_path, v: any) => {
      expect(await viaConnect.ethereum.getAddress({ path: v.path })).toBe(v.expected);
      expect(await ethereum.getAddress(direct, { path: v.path })).toBe(v.expected);
    });

    it.each(cases(vectors.eth_sign_tx, (v) => `${v.name} (${v.type})`))('signTransaction %s', async (_name, v: any) => {
      const parameters = { path: v.parameters.path, tx: ethTx(v) };
      const raw = await viaConnect.ethereum.signTransaction(parameters);
      const signature = Transaction.from(raw).signature!;
      expect(signature.r).toBe(`0x${v.expected.sig_r}`);
      expect(signature.s).toBe(`0x${v.expected.sig_s}`);
      expect(raw).toBe(v.signed_raw_tx);
      expect(await ethereum.signTransaction(direct, parameters)).toBe(raw);
    });

    it.each(cases(vectors.eth_sign_message, (v) => `${v.parameters.path} ${JSON.stringify(v.parameters.msg).slice(0, 30)}`))(
      'signMessage %s',
      async (_name, v: any) => {
        const parameters = { path: v.parameters.path, message: v.parameters.msg };
        expect(await viaConnect.ethereum.signMessage(parameters)).toBe(`0x${v.expected.sig}`);
        expect(await ethereum.signMessage(direct, parameters)).toBe(`0x${v.expected.sig}`);
      },
    );

    it.each(cases(vectors.eth_sign_typed_data, (v) => v.name))('signTypedData %s', async (_name, v: any) => {
      const { data, path } = v.parameters;
      const parameters = { path, domain: data.domain, types: data.types, message: data.message, primaryType: data.primaryType };
      expect(await viaConnect.ethereum.signTypedData(parameters)).toBe(v.expected.sig);
      expect(await ethereum.signTypedData(direct, parameters)).toBe(v.expected.sig);
    });
  });

  return { viaConnect: () => viaConnect, direct: () => direct, setAnswer: (value) => (answer = value) };
}
