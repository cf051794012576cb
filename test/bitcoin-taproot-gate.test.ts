// Taproot needs firmware 1.10.4 (Trezor One) / 2.4.3 (Core): shared PROTOCOL.md §12 and the
// firmware changelogs (GetAddress for taproot, sending to and spending from taproot). On older
// firmware, read from the scripted device's Features, a taproot address, xpub, descriptor,
// spend, change or payment must fail with NotSupported before anything is sent; on firmware
// with taproot the same calls reach the device. Expected addresses come from the SLIP-14 vectors.
import { p2tr, p2wpkh } from '@scure/btc-signer';
import { describe, expect, it } from 'vitest';
import { createPsbt, getAccountDescriptor, getAddress, getPublicKey, signPsbt } from '../src/bitcoin/index.js';
import { COINS, hasTaproot } from '../src/bitcoin/coins.js';
import { isTrezorError } from '../src/errors.js';
import type { MessageName } from '../src/messages/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { accountKey, fundingTx, publicKeyAt } from './support/bitcoin-wallet.js';
import { features, scriptedTransport } from './support/scripted-device.js';
import { loadVectors } from './support/fixtures.js';

const vectors = loadVectors();
type Version = [number, number, number];
const T1 = { model: '1', internal_model: 'T1B1' } as const;
const CORE = { model: 'T', internal_model: 'T2T1' } as const;
const regtest = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

/**
 * A device claiming `version`: after Initialize it records the first request, answers
 * GetAddress with `address` and anything else with Failure(ActionCancelled).
 */
async function deviceAt(model: typeof T1 | typeof CORE, version: Version, address = ''): Promise<{ trezor: Trezor; requests: MessageName[] }> {
  const requests: MessageName[] = [];
  const [major_version, minor_version, patch_version] = version;
  const { transport } = scriptedTransport(async (d) => {
    await d.expect('Initialize');
    d.send('Features', features({ major_version, minor_version, patch_version, ...model }));
    for (;;) {
      const request = await d.next();
      requests.push(request.type);
      if (request.type === 'GetAddress') d.send('Address', { address });
      else d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
    }
  });
  return { trezor: await connect({ transport, sessionId: null }), requests };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return isTrezorError(e) ? e.code : `other: ${String(e)}`;
  }
}

/** An unsigned regtest PSBT spending one input of `input` type to `to`, with change to `change`. */
function psbt(input: { path: string; type: 'p2wpkh' | 'p2tr' }, to: string, change: string): Uint8Array {
  const account = input.path.split('/').slice(0, 4).join('/');
  const { raw, txid } = fundingTx(input.path, input.type, 90_000n);
  const changeAccount = change.split('/').slice(0, 4).join('/');
  return createPsbt({
    coin: 'Regtest',
    account: [...new Set([account, changeAccount])].map((p) => accountKey(p, COINS.Regtest)),
    utxos: [{ txid, vout: 0, amount: 90_000n, path: input.path, prevTx: raw }],
    outputs: [{ address: to, amount: 50_000n }],
    feeRate: 1,
    change: { path: change },
  });
}

const TAPROOT_RECIPIENT = p2tr(publicKeyAt("m/86'/1'/9'/0/0").subarray(1), undefined, regtest).address!;
const SEGWIT_RECIPIENT = p2wpkh(publicKeyAt("m/84'/1'/9'/0/0"), regtest).address!;

describe('hasTaproot', () => {
  it('starts at 1.10.4 on the Trezor One and at 2.4.3 on Core', () => {
    // The family comes from the model in Features (internal_model, or model on older firmware).
    const at = (model: typeof T1 | typeof CORE, v: Version) => hasTaproot({ major_version: v[0], minor_version: v[1], patch_version: v[2], ...model });
    expect([[1, 10, 3], [1, 9, 9]].map((v) => at(T1, v as Version))).toEqual([false, false]);
    expect([[2, 4, 2], [2, 3, 9], [2, 4, 1]].map((v) => at(CORE, v as Version))).toEqual([false, false, false]);
    expect([[1, 10, 4], [1, 11, 0], [1, 14, 1]].map((v) => at(T1, v as Version))).toEqual([true, true, true]);
    expect([[2, 4, 3], [2, 5, 0], [2, 8, 1]].map((v) => at(CORE, v as Version))).toEqual([true, true, true]);
    // Firmware older than internal_model: Features.model alone ('T' is the Model T).
    expect(hasTaproot({ major_version: 2, minor_version: 4, patch_version: 1, model: 'T' })).toBe(false);
    expect(hasTaproot(undefined)).toBe(true);
  });
});

describe('taproot on firmware without it: NotSupported before anything is sent', () => {
  const address = vectors.btc_addresses.find((v: { coin: string; script_type: string }) => v.coin === 'Bitcoin' && v.script_type === 'SPENDTAPROOT');
  const xpub = vectors.btc_xpubs.find((v: { script_type?: string }) => v.script_type === 'SPENDTAPROOT');

  for (const [model, version] of [[T1, [1, 10, 3]], [CORE, [2, 4, 1]], [CORE, [2, 4, 2]]] as const) {
    it(`firmware ${version.join('.')}`, async () => {
      const { trezor, requests } = await deviceAt(model, [...version]);
      expect(await codeOf(getAddress(trezor, { path: address.path }))).toBe('NotSupported');
      expect(await codeOf(getAddress(trezor, { path: "m/84'/0'/0'", scriptType: 'p2tr' }))).toBe('NotSupported');
      expect(await codeOf(getPublicKey(trezor, { path: xpub.path }))).toBe('NotSupported');
      expect(await codeOf(getAccountDescriptor(trezor, { path: xpub.path, scriptType: 'p2tr' }))).toBe('NotSupported');
      // Spending a taproot input; a taproot change output; paying a taproot address.
      expect(await codeOf(signPsbt(trezor, psbt({ path: "m/86'/1'/0'/0/0", type: 'p2tr' }, SEGWIT_RECIPIENT, "m/84'/1'/0'/1/0"), { coin: 'Regtest' }))).toBe('NotSupported');
      expect(await codeOf(signPsbt(trezor, psbt({ path: "m/84'/1'/0'/0/0", type: 'p2wpkh' }, SEGWIT_RECIPIENT, "m/86'/1'/0'/1/0"), { coin: 'Regtest' }))).toBe('NotSupported');
      expect(await codeOf(signPsbt(trezor, psbt({ path: "m/84'/1'/0'/0/0", type: 'p2wpkh' }, TAPROOT_RECIPIENT, "m/84'/1'/0'/1/0"), { coin: 'Regtest' }))).toBe('NotSupported');
      expect(requests).toEqual([]);
      await trezor.close();
    });
  }

  for (const [model, version] of [[T1, [1, 10, 4]], [CORE, [2, 4, 3]], [CORE, [2, 8, 1]]] as const) {
    it(`firmware ${version.join('.')} is asked`, async () => {
      const { trezor, requests } = await deviceAt(model, [...version], address.expected);
      expect(await getAddress(trezor, { path: address.path })).toBe(address.expected);
      // Past the gate, the (scripted) device answers and refuses the rest.
      expect(await codeOf(getPublicKey(trezor, { path: xpub.path }))).toBe('ActionCancelled');
      expect(await codeOf(signPsbt(trezor, psbt({ path: "m/84'/1'/0'/0/0", type: 'p2wpkh' }, TAPROOT_RECIPIENT, "m/86'/1'/0'/1/0"), { coin: 'Regtest' }))).toBe('ActionCancelled');
      expect(requests).toEqual(['GetAddress', 'GetPublicKey', 'SignTx']);
      await trezor.close();
    });
  }
});
