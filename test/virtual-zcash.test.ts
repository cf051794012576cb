// The VirtualTrezor's Zcash (src/testing/virtual/handlers/zcash.ts, bitcoin.ts SignTx): what
// the firmware refuses before any input is asked for, per firmware, and the two-byte address
// versions. The signing itself is held to the firmware's vectors byte for byte in
// test/device/coins.test.ts (test_zcash.py, zcash/test_sign_tx.py on every virtual target).
//
// Sources: legacy/firmware/signing.c tx_info_init at legacy/v1.14.1 (v4 and v5), core
// apps/bitcoin/sign_tx/helpers.py sanitize_sign_tx and zcash_v4.py / apps/zcash/signer.py at
// core/v2.8.9, core/v2.4.1 apps/bitcoin/sign_tx/zcash.py (v4 only: "Unsupported transaction
// version."); common/defs/bitcoin/zcash.json (address_type 7352 = 0x1cb8).
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createBase58check, hex } from '@scure/base';
import { afterEach, describe, expect, it } from 'vitest';
import { openVirtualWire } from './support/virtual-wire.js';
import type { AnyMessage, MessageMap, MessageName } from '../src/messages/index.js';
import type { VirtualTrezor } from '../src/testing/virtual/device.js';
import { publicKeyAt } from './support/bitcoin-wallet.js';
import type { Model } from '../src/testing/virtual/context.js';

const H = 0x80000000;
const devices: VirtualTrezor[] = [];
afterEach(async () => {
  for (const device of devices.splice(0)) await device.close();
});

async function open(model: Model, firmware?: string) {
  const wire = await openVirtualWire(devices, model, firmware);
  return async <N extends MessageName>(name: N, message: MessageMap[N]): Promise<AnyMessage> => (await wire(name, message)).answer;
}

/** NU5 on testnet (zcash/test_sign_tx.py), version group ids of ZIP-225 and Sapling. */
const V5 = { version: 5, version_group_id: 0x26a7270a, branch_id: 0xc2d6d0b4 };
const V4 = { version: 4, version_group_id: 0x892f2085, branch_id: 0x76b809bb };

function signTx(fields: Partial<MessageMap['SignTx']>): MessageMap['SignTx'] {
  return { coin_name: 'Zcash Testnet', inputs_count: 1, outputs_count: 1, ...fields } as MessageMap['SignTx'];
}

const TARGETS: [Model, string | undefined, boolean][] = [
  ['T1B1', undefined, true],
  ['T2T1', undefined, false], // Model T 2.4.1: v4 only
  ['T2T1', '2.8.9', true],
  ['T3T1', '2.8.9', true],
];

describe('Zcash SignTx on the VirtualTrezor', () => {
  for (const [model, firmware, v5] of TARGETS) {
    const name = `${model}${firmware ? `@${firmware}` : ''}`;
    it(`${name}: v4 ${v5 ? 'and v5 start' : 'starts, v5 is refused'}; version group id and branch id are required, other versions refused`, async () => {
      const call = await open(model, firmware);
      expect(await call('SignTx', signTx(V4))).toMatchObject({ type: 'TxRequest', message: { request_type: 'TXINPUT' } });
      await call('Cancel', {});
      const five = await call('SignTx', signTx(V5));
      if (v5) {
        expect(five).toMatchObject({ type: 'TxRequest', message: { request_type: 'TXINPUT' } });
        await call('Cancel', {});
      } else expect(five).toMatchObject({ type: 'Failure', message: { code: 'Failure_DataError', message: 'Unsupported transaction version.' } });
      expect(await call('SignTx', signTx({ ...V4, version: 3 }))).toMatchObject({ type: 'Failure', message: { message: 'Unsupported transaction version.' } });
      expect(await call('SignTx', signTx({ version: 4, branch_id: V4.branch_id }))).toMatchObject({ type: 'Failure', message: { message: 'Version group ID must be set.' } });
      expect(await call('SignTx', signTx({ version: 4, version_group_id: V4.version_group_id }))).toMatchObject({ type: 'Failure', message: { message: 'Branch ID must be set.' } });
      // A coin that is not overwintered still refuses the Zcash fields.
      expect(await call('SignTx', signTx({ ...V4, coin_name: 'Testnet' }))).toMatchObject({ type: 'Failure', message: { message: 'Version group ID not enabled on this coin.' } });
    });
  }
});

describe('Zcash addresses', () => {
  it('carry the two-byte version of zcash.json (0x1cb8: t1…) and zcash_testnet.json (0x1d25: tm…)', async () => {
    const call = await open('T1B1');
    const base58check = createBase58check(sha256);
    for (const [coin, coinType, version] of [
      ['Zcash', 133, '1cb8'],
      ['Zcash Testnet', 1, '1d25'],
    ] as const) {
      const path = [(H | 44) >>> 0, (H | coinType) >>> 0, H >>> 0, 0, 0];
      const answer = await call('GetAddress', { address_n: path, coin_name: coin });
      const address = (answer.message as MessageMap['Address']).address;
      const key = publicKeyAt(`m/44'/${coinType}'/0'/0/0`);
      expect(hex.encode(base58check.decode(address))).toBe(version + hex.encode(ripemd160(sha256(key))));
      // The address test_zcash.py names for m/44h/1h/0h/0/0 of the SLIP-14 seed.
      if (coin === 'Zcash Testnet') expect(address).toBe('tmQoJ3PTXgQLaRRZZYT6xk8XtjRbr2kCqwu');
    }
  });
});
