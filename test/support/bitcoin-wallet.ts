/**
 * A host-side model of the SLIP-14 test wallet for the Bitcoin tests: account keys as
 * getPublicKey would return them, and funding transactions paying to its addresses, so that
 * createPsbt / signPsbt can be exercised without inventing chain data by hand.
 */
import { mnemonicToSeedSync } from '@scure/bip39';
import { HDKey } from '@scure/bip32';
import { hex } from '@scure/base';
import { RawTx, p2wpkh } from '@scure/btc-signer';
import { sha256 } from '@noble/hashes/sha2.js';
import { keyScript } from '../../src/bitcoin/address.js';
import { createPsbt } from '../../src/bitcoin/createPsbt.js';
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

/**
 * A PSBT spending `inputs` P2WPKH outputs of the SLIP-14 wallet on regtest (as bench/bitcoin.ts
 * builds them, with the keys derived from the chain node once).
 */
export function walletPsbt(inputs: number): Uint8Array {
  const external = ROOT.derive("m/84'/1'/0'/0");
  const utxos = Array.from({ length: inputs }, (_, i) => {
    const script = keyScript('p2wpkh', external.deriveChild(i).publicKey!).script;
    const amount = 10_000n + BigInt(i);
    const prevTx = RawTx.encode({
      version: 2,
      segwitFlag: false,
      inputs: [{ txid: sha256(Uint8Array.of(i & 0xff, i >> 8)), index: 0, finalScriptSig: Uint8Array.of(0x51), sequence: 0xffffffff }],
      outputs: [{ amount, script }],
      witnesses: undefined,
      lockTime: 0,
    });
    return { txid: hex.encode(sha256(sha256(prevTx)).reverse()), vout: 0, amount, path: `m/84'/1'/0'/0/${i}`, prevTx };
  });
  const total = utxos.reduce((sum, u) => sum + u.amount, 0n);
  const recipient = p2wpkh(publicKeyAt("m/84'/1'/9'/0/0"), { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef }).address!;
  return createPsbt({
    coin: 'Regtest',
    account: accountKey("m/84'/1'/0'", COINS.Regtest, 'p2wpkh'),
    utxos,
    outputs: [{ address: recipient, amount: total / 2n }],
    feeRate: 1,
    change: { path: "m/84'/1'/0'/1/0" },
    strategy: 'all',
  });
}
