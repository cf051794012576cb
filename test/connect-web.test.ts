// trezor-direct/connect-web: the coin calls through Trezor Connect. @trezor/connect (the npm
// package, Node build: its core runs in this process) talks over its own UdpTransport to a
// VirtualTrezor served on UDP (listenUdp); a second VirtualTrezor with the same SLIP-14 seed
// answers the direct path. Every vector must come out of both paths, identical, and equal to
// the firmware's expected value (test/fixtures/vectors/slip14.json). Buttons are pressed
// through the debug link when Connect reports them (UI_EVENT ui-button).
//
// Connect's UdpTransport only looks at 127.0.0.1:21324, the official emulator's fixed port,
// which other programs on this machine may use: the transport below is Connect's own class
// with its enumerate() pointed at the port listenUdp picked. Offline, Connect logs one failed
// fetch of Ethereum network definitions (data.trezor.io) per Ethereum signing call and carries
// on without them; nothing else goes to the network.
import * as connectModule from '@trezor/connect';
import { UdpTransport } from '@trezor/transport';
import { hex, base64 } from '@scure/base';
import { Transaction as BtcTransaction, OutScript, Address } from '@scure/btc-signer';
import { sha256 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { Transaction, Wallet, hashMessage, TypedDataEncoder } from 'ethers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import * as bitcoin from '../src/bitcoin/index.js';
import * as ethereum from '../src/ethereum/index.js';
import { btcNetwork, getCoin, type ScriptType } from '../src/bitcoin/coins.js';
import { parsePath } from '../src/path.js';
import { fromTrezorConnect, fromConnectFailure, toConnectCode, type TrezorConnectAdapter, type TrezorConnectLike } from '../src/connect-web/index.js';
import { TrezorError, isTrezorError } from '../src/errors.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { listenUdp } from '../src/testing/node.js';
import { ROOT_FINGERPRINT, publicKeyAt } from './support/bitcoin-wallet.js';
import { SLIP14_MNEMONIC, loadVectors } from './support/fixtures.js';

// @trezor/connect is CommonJS: its default export arrives as `.default` (once more under Node's ESM interop).
const moduleExports = connectModule as unknown as { default: { default?: unknown } };
const TrezorConnect = (moduleExports.default.default ?? moduleExports.default) as typeof connectModule.default;
const { UI_EVENT } = connectModule;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const vectors: any = loadVectors();
const TYPES: Record<string, ScriptType> = { SPENDADDRESS: 'p2pkh', SPENDP2SHWITNESS: 'p2sh-p2wpkh', SPENDWITNESS: 'p2wpkh', SPENDTAPROOT: 'p2tr' };

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
  const served = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, model: 'T1B1' });
  const local = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, model: 'T1B1' });
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

/** A PSBT of one btc_sign_tx vector (as test/device/bitcoin.test.ts builds it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function vectorPsbt(v: any): Uint8Array {
  const coin = getCoin(v.coin_name);
  const tx = new BtcTransaction({ version: v.sign_tx.version ?? 1, lockTime: v.sign_tx.lock_time ?? 0 });
  const prevs = new Map<string, Uint8Array>(v.prev_txs.map((p: { txid: string; raw_hex_no_witness: string }) => [p.txid, hex.decode(p.raw_hex_no_witness)]));
  const taprootOnly = v.inputs.every((i: { script_type: string }) => i.script_type === 'SPENDTAPROOT');
  for (const input of v.inputs) {
    const type = TYPES[input.script_type]!;
    const key = publicKeyAt(input.address_n);
    const raw = prevs.get(input.prev_hash)!;
    const prev = BtcTransaction.fromRaw(raw, { allowUnknownOutputs: true });
    const der = { fingerprint: ROOT_FINGERPRINT, path: parsePath(input.address_n) };
    tx.addInput({
      txid: input.prev_hash,
      index: input.prev_index,
      sequence: input.sequence,
      witnessUtxo: { script: prev.getOutput(input.prev_index).script!, amount: BigInt(input.amount) },
      ...(taprootOnly ? {} : { nonWitnessUtxo: raw }),
      ...(type === 'p2tr' ? { tapInternalKey: key.slice(1), tapBip32Derivation: [[key.slice(1), { hashes: [], der }]] } : { bip32Derivation: [[key, der]] }),
      ...(type === 'p2sh-p2wpkh' ? { redeemScript: Uint8Array.of(0x00, 0x14, ...ripemd160(sha256(key))) } : {}),
    });
  }
  for (const output of v.outputs) {
    tx.addOutput({ script: OutScript.encode(Address(btcNetwork(coin)).decode(output.address)), amount: BigInt(output.amount) });
  }
  return tx.toPSBT(0);
}

/** it.each cases: [test name, vector]. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function cases(list: any[], name: (v: any) => string): [string, any][] {
  return list.map((v) => [name(v), v]);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function ethTx(vector: any) {
  const p = vector.parameters;
  const common = { chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, to: p.to_address, value: p.value, data: `0x${p.data}` };
  return vector.type === 'eip1559'
    ? { ...common, type: 2, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee }
    : { ...common, type: 0, gasPrice: p.gas_price };
}

describe('Bitcoin through Trezor Connect and directly (Trezor One 1.14.1)', () => {
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
    const psbt = vectorPsbt(v);
    const result = await viaConnect.bitcoin.signPsbt(psbt, { coin: v.coin_name });
    expect(hex.encode(result.tx)).toBe(v.expected_serialized_tx);
    expect(result.txid).toBe(v.expected_txid);
    expect(result).toEqual(await bitcoin.signPsbt(direct, psbt, { coin: v.coin_name }));
  });
});

describe('Ethereum through Trezor Connect and directly (Trezor One 1.14.1)', () => {
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

describe('errors through Trezor Connect', () => {
  it('a "no" on the device is ActionCancelled, as on the direct path', async () => {
    answer = 'no';
    try {
      const error = await viaConnect.ethereum.signMessage({ path: "m/44'/60'/0'/0/0", message: 'no thanks' }).catch((e: unknown) => e);
      expect(isTrezorError(error, 'ActionCancelled')).toBe(true);
    } finally {
      answer = 'yes';
    }
  });

  it('bad parameters are InvalidParameters before Connect is called', async () => {
    const spy = vi.spyOn(TrezorConnect, 'ethereumSignTransaction');
    const error = await viaConnect.ethereum.signTransaction({ path: "m/44'/60'/0'/0/0", tx: { chainId: 1, nonce: 0, gasLimit: 0 } }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'InvalidParameters')).toBe(true);
    const badPath = await viaConnect.bitcoin.getAddress({ path: 'm/x' }).catch((e: unknown) => e);
    expect(isTrezorError(badPath, 'InvalidParameters')).toBe(true);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('fromTrezorConnect refuses an object that is not TrezorConnect', () => {
    expect(() => fromTrezorConnect({} as TrezorConnectLike)).toThrow(expect.objectContaining({ code: 'InvalidParameters', field: 'TrezorConnect' }));
  });
});

describe('what Connect returns is verified, as on the direct path', () => {
  // A stand-in for TrezorConnect whose answers are wrong in one way each: signatures by another
  // key, an address of another type, an xpub of another node.
  const other = new Wallet(`0x${'42'.repeat(32)}`);
  const ok = <T>(payload: T) => Promise.resolve({ success: true as const, payload });
  function fake(overrides: Partial<Record<keyof TrezorConnectLike, (params: never) => unknown>>): TrezorConnectLike {
    const base: Record<string, unknown> = {};
    for (const name of ['getAddress', 'getPublicKey', 'signTransaction', 'signMessage', 'ethereumGetAddress', 'ethereumSignTransaction', 'ethereumSignMessage', 'ethereumSignTypedData']) {
      base[name] = () => Promise.reject(new Error(`${name} not expected`));
    }
    base.ethereumGetAddress = () => ok({ address: vectors.eth_addresses[1].expected });
    return { ...base, ...overrides } as unknown as TrezorConnectLike;
  }

  it('an Ethereum message signature by another key is VerificationFailed', async () => {
    const signature = other.signingKey.sign(hashMessage('hi')).serialized.slice(2);
    const adapter = fromTrezorConnect(fake({ ethereumSignMessage: () => ok({ address: other.address, signature }) }));
    const error = await adapter.ethereum.signMessage({ path: "m/44'/60'/0'/0/0", message: 'hi' }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'VerificationFailed')).toBe(true);
  });

  it('a typed-data signature by another key is VerificationFailed', async () => {
    const { data } = vectors.eth_sign_typed_data[1].parameters;
    const { EIP712Domain: _, ...types } = data.types;
    const signature = other.signingKey.sign(TypedDataEncoder.hash(data.domain, types, data.message)).serialized;
    const adapter = fromTrezorConnect(fake({ ethereumSignTypedData: () => ok({ address: other.address, signature }) }));
    const error = await adapter.ethereum.signTypedData({ path: "m/44'/60'/0'/0/0", ...data }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'VerificationFailed')).toBe(true);
  });

  it('a transaction signed by another key is VerificationFailed', async () => {
    const v = vectors.eth_sign_tx.find((x: any) => x.name === 'Ethereum');
    const signed = Transaction.from(await other.signTransaction(ethTx(v)));
    const s = signed.signature!;
    const adapter = fromTrezorConnect(fake({ ethereumSignTransaction: () => ok({ v: `0x${s.networkV!.toString(16)}`, r: s.r, s: s.s }) }));
    const error = await adapter.ethereum.signTransaction({ path: v.parameters.path, tx: ethTx(v) }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'VerificationFailed')).toBe(true);
  });

  it('a Bitcoin address of another script type is VerificationFailed', async () => {
    const legacy = vectors.btc_addresses.find((v: any) => v.coin === 'Bitcoin' && v.script_type === 'SPENDADDRESS');
    const adapter = fromTrezorConnect(fake({ getAddress: () => ok({ address: legacy.expected }) }));
    const error = await adapter.bitcoin.getAddress({ path: "m/84'/0'/0'/0/0" }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'VerificationFailed')).toBe(true);
  });

  it('an xpub that is not the returned node is VerificationFailed', async () => {
    const [first, second] = vectors.btc_xpubs;
    const node = { publicKey: hex.encode(publicKeyAt(first.path)), chainCode: '00'.repeat(32), fingerprint: 0, depth: 3, childNum: 0x80000000 };
    const adapter = fromTrezorConnect(fake({ getPublicKey: () => ok({ ...node, xpub: second.expected_xpub }) }));
    const error = await adapter.bitcoin.getPublicKey({ path: first.path, coin: first.coin }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'VerificationFailed')).toBe(true);
  });

  it('a PSBT signature altered on the way is VerificationFailed', async () => {
    const v = vectors.btc_sign_tx.find((x: any) => x.inputs.every((i: any) => i.script_type === 'SPENDWITNESS'));
    // The real answer, from the device through Connect, with one signature byte changed.
    const real = TrezorConnect.signTransaction.bind(TrezorConnect);
    const adapter = fromTrezorConnect(
      fake({
        signTransaction: async (params: never) => {
          const response = await real(params);
          if (!response.success) return response;
          const [signature, ...rest] = response.payload.signatures;
          const bytes = hex.decode(signature!);
          bytes[10]! ^= 1;
          return { success: true, payload: { ...response.payload, signatures: [hex.encode(bytes), ...rest] } };
        },
      }),
    );
    const error = await adapter.bitcoin.signPsbt(vectorPsbt(v), { coin: v.coin_name }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'VerificationFailed')).toBe(true);
  });
});

describe('error codes between Connect and trezor-direct', () => {
  it('maps Connect failures to TrezorError codes', () => {
    expect(fromConnectFailure({ error: 'Cancelled', code: 'Failure_ActionCancelled' }).code).toBe('ActionCancelled');
    expect(fromConnectFailure({ error: 'Popup closed', code: 'Method_Interrupted' }).code).toBe('ActionCancelled');
    expect(fromConnectFailure({ error: 'Invalid PIN', code: 'Failure_PinInvalid' }).code).toBe('PinInvalid');
    expect(fromConnectFailure({ error: 'Device disconnected', code: 'Device_Disconnected' }).code).toBe('DeviceDisconnected');
    expect(fromConnectFailure({ error: 'Device call in progress', code: 'Device_CallInProgress' }).code).toBe('DeviceBusy');
    expect(fromConnectFailure({ error: 'x', code: 'Method_InvalidParameter' })).toMatchObject({ code: 'InvalidParameters', field: 'parameters' });
    expect(fromConnectFailure({ error: 'Forbidden key path', code: 'Failure_DataError' })).toMatchObject({ code: 'FirmwareError', failureCode: 3 });
    expect(fromConnectFailure({ error: 'iframe', code: 'Init_IframeBlocked' }).code).toBe('ProtocolError');
  });

  it('maps TrezorErrors to Connect codes (the keyring bridge answers with them)', () => {
    expect(toConnectCode(new TrezorError('ActionCancelled', 'x'))).toBe('Failure_ActionCancelled');
    expect(toConnectCode(new TrezorError('InvalidParameters', 'x'))).toBe('Method_InvalidParameter');
    expect(toConnectCode(new TrezorError('FirmwareError', 'x', { failureCode: 3 }))).toBe('Failure_DataError');
    expect(toConnectCode(new TrezorError('DeviceDisconnected', 'x'))).toBe('Device_Disconnected');
  });
});
