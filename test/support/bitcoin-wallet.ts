/**
 * A host-side model of the SLIP-14 test wallet for the Bitcoin tests: account keys as
 * getPublicKey would return them, and funding transactions paying to its addresses, so that
 * createPsbt / signPsbt can be exercised without inventing chain data by hand.
 */
import { mnemonicToSeedSync } from '@scure/bip39';
import { HDKey } from '@scure/bip32';
import { hex } from '@scure/base';
import { RawTx } from '@scure/btc-signer';
import { sha256 } from '@noble/hashes/sha2.js';
import { keyScript } from '../../src/bitcoin/address.js';
import { COINS, xpubVersionFor, type CoinInfo, type ScriptType } from '../../src/bitcoin/coins.js';
import { encodeXpub } from '../../src/bitcoin/xpub.js';
import { parsePath, formatPath } from '../../src/path.js';

export const MNEMONIC = 'all all all all all all all all all all all all';
export const ROOT = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));
export const ROOT_FINGERPRINT = 0x5c9e228d;

/** What getPublicKey returns for an account, computed on the host. */
export function accountKey(path: string, coin: CoinInfo = COINS.Regtest, scriptType?: ScriptType) {
  const node = ROOT.derive(path);
  const addressN = parsePath(path);
  return {
    xpub: encodeXpub({
      version: xpubVersionFor(coin, scriptType),
      depth: node.depth,
      parentFingerprint: node.parentFingerprint,
      childNumber: node.index,
      chainCode: node.chainCode!,
      publicKey: node.publicKey!,
    }),
    path: formatPath(addressN),
    rootFingerprint: ROOT_FINGERPRINT,
  };
}

export function publicKeyAt(path: string): Uint8Array {
  return ROOT.derive(path).publicKey!;
}

/** A transaction paying `amount` to the key at `path` (output `vout`), from a made-up coinbase-like input. */
export function fundingTx(path: string, type: ScriptType, amount: bigint, vout = 0, salt = 0): { raw: Uint8Array; txid: string } {
  const script = keyScript(type, publicKeyAt(path)).script;
  const outputs = [];
  for (let i = 0; i < vout; i++) outputs.push({ amount: 1000n + BigInt(i), script: Uint8Array.of(0x51) });
  outputs.push({ amount, script });
  const raw = RawTx.encode({
    version: 2,
    segwitFlag: false,
    inputs: [{ txid: sha256(Uint8Array.of(salt & 0xff, salt >> 8, vout)), index: 0, finalScriptSig: Uint8Array.of(0x51), sequence: 0xffffffff }],
    outputs,
    witnesses: undefined,
    lockTime: 0,
  });
  return { raw, txid: hex.encode(sha256(sha256(raw)).reverse()) };
}
