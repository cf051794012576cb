// trezor-direct/connect-web on a Trezor One 1.14.1: every SLIP-14 vector through Trezor
// Connect (@trezor/connect in this process, over UDP to a VirtualTrezor) and directly, identical
// and equal to the firmware's values (support/connect-paths.ts); a "no" on the device and bad
// parameters through Connect; answers from Connect that do not verify (a stand-in TrezorConnect
// returning another key's signatures, another address type, an xpub of another node, a PSBT
// signature altered on the way) are VerificationFailed; the error-code tables both ways.
// test/connect-web-core.test.ts runs the vectors on a Safe 5 2.8.9.
import { hex } from '@scure/base';
import { Transaction, Wallet, hashMessage, TypedDataEncoder } from 'ethers';
import { describe, expect, it, vi } from 'vitest';
import { fromTrezorConnect, fromConnectFailure, toConnectCode, type TrezorConnectLike } from '../src/connect-web/index.js';
import { TrezorError, isTrezorError } from '../src/errors.js';
import { publicKeyAt } from './support/bitcoin-wallet.js';
import { TrezorConnect, connectVectorSuite, ethTx, vectorPsbt, vectors } from './support/connect-paths.js';

const suite = connectVectorSuite('T1B1', 'Trezor One 1.14.1');

describe('errors through Trezor Connect', () => {
  it('a "no" on the device is ActionCancelled, as on the direct path', async () => {
    suite.setAnswer('no');
    try {
      const error = await suite.viaConnect().ethereum.signMessage({ path: "m/44'/60'/0'/0/0", message: 'no thanks' }).catch((e: unknown) => e);
      expect(isTrezorError(error, 'ActionCancelled')).toBe(true);
    } finally {
      suite.setAnswer('yes');
    }
  });

  it('bad parameters are InvalidParameters before Connect is called', async () => {
    const spy = vi.spyOn(TrezorConnect, 'ethereumSignTransaction');
    const error = await suite.viaConnect().ethereum.signTransaction({ path: "m/44'/60'/0'/0/0", tx: { chainId: 1, nonce: 0, gasLimit: 0 } }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'InvalidParameters')).toBe(true);
    const badPath = await suite.viaConnect().bitcoin.getAddress({ path: 'm/x' }).catch((e: unknown) => e);
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
