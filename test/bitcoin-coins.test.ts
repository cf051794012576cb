// Coin parameters, script types inferred from paths (BIP-44/49/84/86) and SLIP-132 extended
// keys, checked against the firmware's xpub vectors (test/fixtures/vectors/slip14.json btc_xpubs).
import { describe, expect, it } from 'vitest';
import { COINS, decodeXpub, encodeXpub, getCoin, scriptTypeFromPath } from '../src/bitcoin/index.js';
import { resolveScriptType, xpubVersionFor, type ScriptType } from '../src/bitcoin/coins.js';
import { isTrezorError } from '../src/errors.js';
import { parsePath } from '../src/path.js';
import { loadVectors } from './support/fixtures.js';

const FIRMWARE_TYPES: Record<string, ScriptType> = {
  SPENDADDRESS: 'p2pkh',
  SPENDP2SHWITNESS: 'p2sh-p2wpkh',
  SPENDWITNESS: 'p2wpkh',
  SPENDTAPROOT: 'p2tr',
};

function invalid(run: () => unknown, field: string): void {
  try {
    run();
  } catch (e) {
    expect(isTrezorError(e, 'InvalidParameters')).toBe(true);
    expect((e as { field?: string }).field).toBe(field);
    return;
  }
  throw new Error('expected InvalidParameters');
}

describe('coins', () => {
  it('has the firmware parameters of each coin', () => {
    expect(getCoin()).toBe(COINS.Bitcoin);
    expect(getCoin('Testnet').bech32).toBe('tb');
    expect(getCoin('Regtest').bech32).toBe('bcrt');
    expect(getCoin('Litecoin').pubKeyHash).toBe(48);
    expect(COINS.Bitcoin.xpubVersion['p2sh-p2wpkh']).toBe(77429938);
    expect(COINS.Testnet.xpubVersion.p2wpkh).toBe(73342198);
    expect(COINS.Litecoin.taproot).toBe(false);
    invalid(() => getCoin('Bitcoin Cash'), 'coin');
  });

  it('infers the script type from the purpose', () => {
    expect(scriptTypeFromPath(parsePath("m/44'/0'/0'/0/0"))).toBe('p2pkh');
    expect(scriptTypeFromPath(parsePath("m/49'/1'/0'"))).toBe('p2sh-p2wpkh');
    expect(scriptTypeFromPath(parsePath("m/84'/0'/0'/1/5"))).toBe('p2wpkh');
    expect(scriptTypeFromPath(parsePath("m/86'/0'/0'/0/0"))).toBe('p2tr');
    expect(scriptTypeFromPath(parsePath('m/84/0/0'))).toBeUndefined();
    expect(scriptTypeFromPath(parsePath("m/48'/0'/0'/2'"))).toBeUndefined();
    expect(scriptTypeFromPath([])).toBeUndefined();
  });

  it('resolves explicit and inferred script types, refusing what the coin lacks', () => {
    expect(resolveScriptType(parsePath("m/44'/1'/0'/0/0"), 'p2sh-p2wpkh', COINS.Testnet)).toBe('p2sh-p2wpkh');
    expect(resolveScriptType(parsePath("m/86'/0'/0'/0/0"), undefined, COINS.Bitcoin)).toBe('p2tr');
    invalid(() => resolveScriptType(parsePath('m/0/1'), undefined, COINS.Bitcoin), 'scriptType');
    invalid(() => resolveScriptType(parsePath("m/86'/2'/0'/0/0"), undefined, COINS.Litecoin), 'scriptType');
    invalid(() => resolveScriptType(parsePath("m/84'/0'/0'"), 'p2wsh', COINS.Bitcoin), 'scriptType');
  });
});

describe('extended public keys (SLIP-132)', () => {
  it('round-trips every btc_xpubs vector and re-encodes it under other versions', () => {
    const vectors: { coin: string; path: string; expected_xpub: string; script_type?: string; ignore_xpub_magic?: boolean }[] = loadVectors().btc_xpubs;
    expect(vectors.length).toBe(7);
    for (const v of vectors) {
      const node = decodeXpub(v.expected_xpub);
      const coin = getCoin(v.coin);
      expect(node.depth).toBe(parsePath(v.path).length);
      expect(node.version).toBe(xpubVersionFor(coin, FIRMWARE_TYPES[v.script_type ?? 'SPENDADDRESS'], v.ignore_xpub_magic === true));
      expect(encodeXpub(node)).toBe(v.expected_xpub);
    }
    // The zpub of m/44'/0'/0 and the xpub of the same node differ only in the version bytes.
    const zpub = decodeXpub(vectors.find((v) => v.expected_xpub.startsWith('zpub'))!.expected_xpub);
    expect(encodeXpub({ ...zpub, version: COINS.Bitcoin.xpubVersion.p2pkh })).toBe(
      'xpub6BiVtCp7ozsRo7kaoYNrCNAVJwPYTQHjoXFD3YS797S55Y42sm2raxPrXQWAJodn7aXnHJdhz433ZJDhyUztHW55WatHeoYUVqui8cYNX8y',
    );
  });

  it('rejects what is not an extended public key', () => {
    invalid(() => decodeXpub('xpub123'), 'xpub');
    invalid(() => decodeXpub('1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL'), 'xpub');
  });
});
