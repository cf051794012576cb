/**
 * Output scripts and addresses of the single-key script types, written out here (not taken
 * from @scure/btc-signer's payment module) because they are a few lines each and the
 * signing path stays inside the 60 kB bundle budget without payment.js.
 *
 *   p2pkh        OP_DUP OP_HASH160 <20: HASH160(key)> OP_EQUALVERIFY OP_CHECKSIG   76 a9 14 … 88 ac
 *   p2sh-p2wpkh  OP_HASH160 <20: HASH160(00 14 HASH160(key))> OP_EQUAL            a9 14 … 87
 *   p2wpkh       OP_0 <20: HASH160(key)>                                           00 14 …
 *   p2tr         OP_1 <32: x(key + H_TapTweak(x(key))·G)>  (BIP-86, no script tree) 51 20 …
 *
 * Addresses: base58check(version ‖ hash) for P2PKH/P2SH (the version is one byte, or two for
 * Zcash: the firmware writes address_type big-endian in as few bytes as it takes), bech32
 * (witness v0, BIP-173) or bech32m (v1+, BIP-350) with the coin's human-readable part; a coin
 * with an address format of its own (Bitcoin Cash: CashAddr) writes P2PKH/P2SH through it and
 * reads both it and base58, as the firmware does.
 */
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { bech32, bech32m, createBase58check } from '@scure/base';
import { taprootTweakPubkey } from '@scure/btc-signer/utils.js';
import type { CoinInfo, ScriptType } from './coins.js';

const base58check = /* @__PURE__ */ createBase58check(sha256);

/**
 * RIPEMD-160 of SHA-256.
 * @example hash160(publicKey) // the 20 bytes in a P2PKH / P2WPKH script
 */
export const hash160 = (data: Uint8Array): Uint8Array => ripemd160(sha256(data));

/**
 * The x-only key of a compressed public key (BIP-340).
 * @example xOnly(publicKey).length // 32
 */
export function xOnly(publicKey: Uint8Array): Uint8Array {
  return publicKey.length === 32 ? publicKey : publicKey.slice(1, 33);
}

/** A witness program script: OP_n <program>. */
function witnessScript(version: number, program: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(version === 0 ? 0 : 0x50 + version, program.length), program);
}

/**
 * Output script and (for P2SH-P2WPKH) redeem script of a single-key output; for p2tr the key
 * is the BIP-86 internal key.
 * @example keyScript('p2wpkh', publicKey).script // 0014…
 */
export function keyScript(type: ScriptType, publicKey: Uint8Array): { script: Uint8Array; redeemScript?: Uint8Array } {
  switch (type) {
    case 'p2pkh':
      return { script: keyScriptFromHash('pkh', hash160(publicKey)) };
    case 'p2wpkh':
      return { script: witnessScript(0, hash160(publicKey)) };
    case 'p2sh-p2wpkh': {
      const redeemScript = witnessScript(0, hash160(publicKey));
      return { script: keyScriptFromHash('sh', hash160(redeemScript)), redeemScript };
    }
    case 'p2tr':
      return { script: witnessScript(1, taprootTweakPubkey(xOnly(publicKey), new Uint8Array(0))[0]) };
  }
}

/** What an output script is, for the forms that have an address. */
export type ScriptKind = { type: 'pkh'; hash: Uint8Array } | { type: 'sh'; hash: Uint8Array } | { type: 'witness'; version: number; program: Uint8Array };

/**
 * Classify an output script.
 * @example scriptKind(hex.decode('0014…')) // { type: 'witness', version: 0, program }
 */
export function scriptKind(script: Uint8Array): ScriptKind | undefined {
  const n = script.length;
  if (n === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 0x14 && script[23] === 0x88 && script[24] === 0xac) {
    return { type: 'pkh', hash: script.slice(3, 23) };
  }
  if (n === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87) return { type: 'sh', hash: script.slice(2, 22) };
  const op = script[0]!;
  if (n >= 4 && n <= 42 && script[1] === n - 2 && (op === 0 || (op >= 0x51 && op <= 0x60))) {
    const version = op === 0 ? 0 : op - 0x50;
    if (version === 0 && n !== 22 && n !== 34) return undefined;
    return { type: 'witness', version, program: script.slice(2) };
  }
  return undefined;
}

/**
 * The address of an output script on a coin, or undefined when it has none.
 * @example scriptAddress(getCoin('Bitcoin'), script) // 'bc1q…'
 */
export function scriptAddress(coin: CoinInfo, script: Uint8Array, base58Only = false): string | undefined {
  if (coin.addressFormat && !base58Only) return coin.addressFormat.encode(script);
  const kind = scriptKind(script);
  if (!kind) return undefined;
  if (kind.type === 'pkh') return base58check.encode(concatBytes(versionBytes(coin.pubKeyHash), kind.hash));
  if (kind.type === 'sh') return base58check.encode(concatBytes(versionBytes(coin.scriptHash), kind.hash));
  if (!coin.bech32) return undefined;
  const words = [kind.version, ...bech32.toWords(kind.program)];
  return kind.version === 0 ? bech32.encode(coin.bech32, words) : bech32m.encode(coin.bech32, words);
}

/**
 * The output script of an address of this coin (P2PKH, P2SH, segwit v0, taproot), or
 * undefined when it is not one.
 * @example addressScript(getCoin('Testnet'), 'tb1q…') // 0014…
 */
export function addressScript(coin: CoinInfo, address: string): Uint8Array | undefined {
  if (typeof address !== 'string') return undefined;
  const own = coin.addressFormat?.decode(address);
  if (own) return own;
  if (coin.bech32 && address.toLowerCase().startsWith(`${coin.bech32}1`)) {
    for (const codec of [bech32, bech32m]) {
      let decoded: { prefix: string; words: number[] };
      try {
        decoded = codec.decode(address as `${string}1${string}`, 90);
      } catch {
        continue;
      }
      const [version, ...rest] = decoded.words;
      if (decoded.prefix !== coin.bech32 || version === undefined || version > 1 || (version === 0) !== (codec === bech32)) return undefined;
      let program: Uint8Array;
      try {
        program = bech32.fromWords(rest);
      } catch {
        return undefined;
      }
      if (version === 0 ? program.length !== 20 && program.length !== 32 : program.length !== 32) return undefined;
      return witnessScript(version, program);
    }
    return undefined;
  }
  let raw: Uint8Array;
  try {
    raw = base58check.decode(address);
  } catch {
    return undefined;
  }
  for (const [version, type] of [[coin.pubKeyHash, 'pkh'], [coin.scriptHash, 'sh']] as const) {
    const prefix = versionBytes(version);
    if (raw.length === prefix.length + 20 && prefix.every((b, i) => raw[i] === b)) return keyScriptFromHash(type, raw.subarray(prefix.length));
  }
  return undefined;
}

/** A base58 version as the firmware writes it: big-endian, in as few bytes as it takes. */
function versionBytes(version: number): Uint8Array {
  return version > 0xff ? Uint8Array.of(version >> 8, version & 0xff) : Uint8Array.of(version);
}

/**
 * The single-key script type an address of this coin has the form of (P2SH counts as
 * p2sh-p2wpkh), or undefined.
 * @example addressType(getCoin(), 'bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk') // 'p2wpkh'
 */
export function addressType(coin: CoinInfo, address: string): ScriptType | undefined {
  const script = addressScript(coin, address);
  const kind = script && scriptKind(script);
  if (!kind) return undefined;
  if (kind.type === 'pkh') return 'p2pkh';
  if (kind.type === 'sh') return 'p2sh-p2wpkh';
  if (kind.version === 0) return kind.program.length === 20 ? 'p2wpkh' : undefined;
  return kind.version === 1 ? 'p2tr' : undefined;
}

/** The P2PKH or P2SH output script of a 20-byte hash. */
function keyScriptFromHash(type: 'pkh' | 'sh', hash: Uint8Array): Uint8Array {
  return type === 'pkh'
    ? concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), hash, Uint8Array.of(0x88, 0xac))
    : concatBytes(Uint8Array.of(0xa9, 0x14), hash, Uint8Array.of(0x87));
}
