// getAddresses: several Bitcoin addresses in one exclusive flow, in order, each checked as a
// silent getAddress is; against the SLIP-14 address vectors of the firmware's test suite
// (test/fixtures/vectors/slip14.json: tests/device_tests/bitcoin/test_getaddress*.py).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { getAddresses, type CoinName, type ScriptType } from '../src/bitcoin/index.js';
import { isTrezorError } from '../src/errors.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';

interface AddressVector {
  coin: string;
  path: string;
  script_type: string;
  expected: string;
}
const vectors = JSON.parse(readFileSync(new URL('./fixtures/vectors/slip14.json', import.meta.url), 'utf8')) as { btc_addresses: AddressVector[] };
const TYPES: Record<string, ScriptType> = { SPENDADDRESS: 'p2pkh', SPENDP2SHWITNESS: 'p2sh-p2wpkh', SPENDWITNESS: 'p2wpkh', SPENDTAPROOT: 'p2tr' };

describe('getAddresses', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });
  async function device(model: 'T1B1' | 'T2T1', firmware = model === 'T1B1' ? '1.14.1' : '2.8.9'): Promise<{ trezor: Trezor }> {
    const virtual = new VirtualTrezor({ mnemonic: 'all all all all all all all all all all all all', model, firmware });
    const trezor = await connect({ transport: virtual.transport(), ui: {} });
    close = async () => {
      await trezor.close();
      await virtual.close();
    };
    return { trezor };
  }

  for (const model of ['T1B1', 'T2T1'] as const) {
    it(`${model}: every coin's vectors, in the order asked`, async () => {
      const { trezor } = await device(model);
      const byCoin = new Map<string, AddressVector[]>();
      for (const v of vectors.btc_addresses) if (TYPES[v.script_type]) byCoin.set(v.coin, [...(byCoin.get(v.coin) ?? []), v]);
      for (const [coin, list] of byCoin) {
        const reversed = [...list].reverse();
        for (const order of [list, reversed]) {
          const paths = order.map((v) => v.path);
          // One script type per call: the vectors' own (each path's purpose says the same).
          const groups = new Map<ScriptType, AddressVector[]>();
          for (const v of order) groups.set(TYPES[v.script_type]!, [...(groups.get(TYPES[v.script_type]!) ?? []), v]);
          for (const [scriptType, group] of groups) {
            const answer = await getAddresses(trezor, { coin: coin as CoinName, scriptType, paths: group.map((v) => v.path) });
            expect(answer, `${coin} ${paths.join(',')}`).toEqual(group.map((v) => v.expected));
          }
        }
      }
    });
  }

  it('a taproot path on firmware before taproot is NotSupported, before anything is sent', async () => {
    const { trezor } = await device('T2T1', '2.4.1');
    let error: unknown;
    try {
      await getAddresses(trezor, { paths: ["m/84'/0'/0'/0/0", "m/86'/0'/0'/0/0"] });
    } catch (e) {
      error = e;
    }
    expect(isTrezorError(error, 'NotSupported')).toBe(true);
    expect(await getAddresses(trezor, { paths: ["m/44'/0'/0'/0/0"] })).toEqual(['1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL']);
  });

  it('bad input is InvalidParameters naming the path, before anything is sent', async () => {
    // A stand-in that fails the test if anything reaches the device.
    const trezor = {
      features: { major_version: 2, minor_version: 8, patch_version: 9 },
      exclusive: () => {
        throw new Error('the device was contacted');
      },
    } as unknown as Trezor;
    const field = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (e) {
        expect(isTrezorError(e, 'InvalidParameters')).toBe(true);
        return (e as { field?: string }).field;
      }
      throw new Error('expected InvalidParameters');
    };
    expect(await field(() => getAddresses(trezor, { paths: "m/84'/0'/0'/0/0" as never }))).toBe('paths');
    expect(await field(() => getAddresses(trezor, { paths: ["m/84'/0'/0'/0/0", 'x/1'] }))).toBe('paths[1]');
    expect(await field(() => getAddresses(trezor, { paths: ["m/84'/0'/0'/0/0", "m/1'/0'/0'/0/0"] }))).toBe('paths[1]');
    expect(await field(() => getAddresses(trezor, { paths: ["m/84'/0'/0'/0/0"], scriptType: 'p2xx' as never }))).toBe('scriptType');
    expect(await field(() => getAddresses(trezor, { paths: ["m/84'/0'/0'/0/0"], coin: 'NoSuchCoin' as never }))).toBe('coin');
    expect(await getAddresses(trezor, { paths: [] })).toEqual([]);
  });
});
