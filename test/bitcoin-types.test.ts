// The Bitcoin entry's types as a caller under `strict` meets them (this file is part of
// `tsc --noEmit`, so a type regression fails `npm test`): getPublicKey's result goes into
// createPsbt({ account }) without a cast, `coin` is the CoinName union, and a JS caller's
// unknown coin is still InvalidParameters at run time, before anything reaches the device.
import { p2wpkh } from '@scure/btc-signer';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createPsbt,
  getAccountDescriptor,
  getAddress,
  getPublicKey,
  signMessage,
  signPsbt,
  verifyMessage,
  type AccountKey,
  type CoinInfo,
  type CoinName,
  type CreatePsbtParameters,
  type GetPublicKeyReturnType,
} from '../src/bitcoin/index.js';
import { connect } from '../src/session/connect.js';
import type { Transport } from '../src/transport/types.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { COINS } from '../src/bitcoin/coins.js';
import { MNEMONIC, ROOT, ROOT_FINGERPRINT, accountKey, fundingTx, publicKeyAt } from './support/bitcoin-wallet.js';
import { features, scriptedTransport } from './support/scripted-device.js';

const H = 0x80000000;
const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

describe('bitcoin types', () => {
  it('getPublicKey → createPsbt({ account }) type-checks without a cast, and runs', async () => {
    expectTypeOf<GetPublicKeyReturnType>().toExtend<AccountKey>();
    expectTypeOf<GetPublicKeyReturnType['rootFingerprint']>().toEqualTypeOf<number>();

    const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, autoConfirm: true });
    try {
      const trezor = await connect({ transport: virtual.transport() });
      const account = await getPublicKey(trezor, { path: "m/84'/1'/0'", coin: 'Regtest' });
      expect(account.rootFingerprint).toBe(ROOT_FINGERPRINT);
      const funding = fundingTx("m/84'/1'/0'/0/0", 'p2wpkh', 100_000n);
      const params: CreatePsbtParameters = {
        coin: 'Regtest',
        account, // the whole getPublicKey result, as the README shows
        utxos: [{ txid: funding.txid, vout: 0, amount: 100_000n, path: "m/84'/1'/0'/0/0", prevTx: funding.raw }],
        outputs: [{ address: p2wpkh(publicKeyAt("m/84'/1'/7'/0/0"), REGTEST).address!, amount: 50_000n }],
        feeRate: 2,
        change: { path: "m/84'/1'/0'/1/0" },
      };
      const psbt = createPsbt(params);
      const signed = await signPsbt(trezor, psbt, { coin: 'Regtest' });
      expect(signed.txid).toMatch(/^[0-9a-f]{64}$/);
      await trezor.close();
    } finally {
      await virtual.close();
    }
  });

  it('coin is a CoinName or a coin constant (CoinInfo)', () => {
    expectTypeOf<CoinName>().toEqualTypeOf<'Bitcoin' | 'Testnet' | 'Regtest' | 'Litecoin'>();
    expectTypeOf<NonNullable<CreatePsbtParameters['coin']>>().toEqualTypeOf<CoinName | CoinInfo>();
    expectTypeOf<NonNullable<Parameters<typeof getAddress>[1]['coin']>>().toEqualTypeOf<CoinName | CoinInfo>();
    expectTypeOf<NonNullable<Parameters<typeof getPublicKey>[1]['coin']>>().toEqualTypeOf<CoinName | CoinInfo>();
    expectTypeOf<NonNullable<Parameters<typeof getAccountDescriptor>[1]['coin']>>().toEqualTypeOf<CoinName | CoinInfo>();
    expectTypeOf<NonNullable<NonNullable<Parameters<typeof signPsbt>[2]>['coin']>>().toEqualTypeOf<CoinName | CoinInfo>();
    expectTypeOf<NonNullable<Parameters<typeof signMessage>[1]['coin']>>().toEqualTypeOf<CoinName | CoinInfo>();
    expectTypeOf<NonNullable<Parameters<typeof verifyMessage>[0]['coin']>>().toEqualTypeOf<CoinName | CoinInfo>();
  });

  it("a JS caller's unknown coin is InvalidParameters (field coin) in every function, and nothing reaches the device", async () => {
    const { transport: scripted } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Features', features());
    });
    let written = 0;
    const transport: Transport = {
      ...scripted,
      async open(descriptor, signal) {
        const connection = await scripted.open(descriptor, signal);
        return { ...connection, write: (report, s) => (written++, connection.write(report, s)) };
      },
    };
    const trezor = await connect({ transport, sessionId: null });
    const afterConnect = written;
    const path = "m/84'/0'/0'/0/0";
    const calls: [string, () => unknown][] = [
      // @ts-expect-error 'Dogecoin' is not a CoinName
      ['getAddress', () => getAddress(trezor, { path, coin: 'Dogecoin' })],
      // @ts-expect-error 'Dogecoin' is not a CoinName
      ['getPublicKey', () => getPublicKey(trezor, { path: "m/84'/0'/0'", coin: 'Dogecoin' })],
      // @ts-expect-error 'Dogecoin' is not a CoinName
      ['getAccountDescriptor', () => getAccountDescriptor(trezor, { path: "m/84'/0'/0'", coin: 'Dogecoin' })],
      // @ts-expect-error 'Dogecoin' is not a CoinName
      ['createPsbt', () => createPsbt({ coin: 'Dogecoin', account: [], utxos: [], outputs: [], feeRate: 1, change: { path } })],
      // @ts-expect-error 'Dogecoin' is not a CoinName
      ['signPsbt', () => signPsbt(trezor, new Uint8Array(0), { coin: 'Dogecoin' })],
      // @ts-expect-error 'Dogecoin' is not a CoinName
      ['signMessage', () => signMessage(trezor, { path, message: 'hi', coin: 'Dogecoin' })],
      // @ts-expect-error 'Dogecoin' is not a CoinName
      ['verifyMessage', () => verifyMessage({ address: 'x', message: 'hi', signature: new Uint8Array(65), coin: 'Dogecoin' })],
    ];
    for (const [name, call] of calls) {
      let error: unknown;
      try {
        await call();
      } catch (e) {
        error = e;
      }
      expect(error, name).toMatchObject({ name: 'TrezorError', code: 'InvalidParameters', field: 'coin' });
    }
    expect(written).toBe(afterConnect);
    await trezor.close();
  });

  it('rootFingerprint is there even from firmware that does not report it (< 1.9.4 / 2.3.5): one more GetPublicKey at depth 1', async () => {
    const answer = (path: string, scriptType?: 'p2wpkh') => {
      const node = ROOT.derive(path);
      return {
        node: { depth: node.depth, fingerprint: node.parentFingerprint, child_num: node.index, chain_code: node.chainCode!, public_key: node.publicKey! },
        xpub: accountKey(path, COINS.Bitcoin, scriptType).xpub,
      };
    };
    const asked: number[][] = [];
    const { transport } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Features', features());
      asked.push((await d.expect('GetPublicKey')).address_n ?? []);
      d.send('PublicKey', answer("m/84'/0'/0'", 'p2wpkh'));
      const second = await d.expect('GetPublicKey');
      asked.push(second.address_n ?? []);
      expect(second.show_display).toBe(false);
      d.send('PublicKey', answer("m/84'"));
      asked.push((await d.expect('GetPublicKey')).address_n ?? []);
      d.send('PublicKey', answer('m'));
    });
    const trezor = await connect({ transport, sessionId: null });
    const key = await getPublicKey(trezor, { path: "m/84'/0'/0'" });
    expect(asked).toEqual([[H + 84, H, H], [H + 84]]);
    expect(key.rootFingerprint).toBe(ROOT_FINGERPRINT);
    // The master key itself: its own fingerprint, no second request.
    const master = await getPublicKey(trezor, { path: 'm' });
    expect(asked).toHaveLength(3);
    expect(master.rootFingerprint).toBe(ROOT_FINGERPRINT);
    await trezor.close();
  });
});
