/**
 * A multisig wallet seen from createPsbt: the cosigners' account keys, and for a path below
 * them (chain/index, e.g. "0/3") the m-of-n script, the output script it pays to, and the BIP-32
 * derivation of every cosigner's key, as a PSBT must carry them for each cosigner's signer to
 * find its key (BIP-174). The accounts themselves go into the PSBT as PSBT_GLOBAL_XPUB, which is
 * what lets signPsbt send the device the cosigners' nodes, and so lets the firmware recognise a
 * multisig change output (see multisig.ts).
 *
 * Kept apart from multisig.ts so that the signing path does not carry host-side BIP-32
 * derivation (HMAC-SHA512) in its bundle.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { invalidParameter } from '../errors.js';
import { HARDENED, parsePath, type Path } from '../path.js';
import type { AccountKey } from './accounts.js';
import type { CoinInfo } from './coins.js';
import { childNode, publicNode, type PublicNode } from './ckd.js';
import { MULTISIG_INPUT_SCRIPT_TYPE, multisigPayment, multisigScript, type MultisigScriptType } from './multisig.js';
import { decodeRawPsbt, encodeRawPsbt, psbtKey, removeTypes, setPair } from './psbtCodec.js';
import { u32le } from './rawTx.js';
import { decodeXpub, xpubBytes } from './xpub.js';

/** The multisig wallet a PSBT spends from (createPsbt's `multisig`). */
export interface MultisigAccount {
  /** Signatures required. */
  m: number;
  /** Every cosigner's account key (getPublicKey results, the device's among them). */
  cosigners: AccountKey[];
  /** BIP-67 sorted keys (`sortedmulti`), default true. */
  sorted?: boolean;
  /** Default 'p2wsh'. */
  scriptType?: MultisigScriptType;
}

/** What a PSBT input or output of the wallet at one path carries. */
export interface MultisigSpend {
  script: Uint8Array;
  redeemScript?: Uint8Array;
  witnessScript?: Uint8Array;
  bip32Derivation: [Uint8Array, { fingerprint: number; path: number[] }][];
}

/** The key `steps` below an account, each node derived once (the chain nodes are shared by every UTXO). */
function derive(account: { key: PublicNode; children: Map<string, PublicNode> }, steps: readonly number[], where: string): Uint8Array {
  let node = account.key;
  let id = '';
  for (const index of steps) {
    id += `/${index}`;
    let child = account.children.get(id);
    if (!child) {
      const derived = childNode(node, index);
      if (!derived) throw invalidParameter(where, `${id.slice(1)} is an invalid BIP-32 child (IL ≥ n): use the next index`);
      child = derived;
      account.children.set(id, child);
    }
    node = child;
  }
  return node.publicKey;
}

/**
 * The scripts and derivations of a multisig wallet, path by path.
 * @example multisigWallet({ m: 2, cosigners: [a, b, c] }, coin).at("0/3", 'utxos[0].path').script
 */
export function multisigWallet(account: MultisigAccount, coin: CoinInfo, field = 'multisig') {
  if (typeof account !== 'object' || account === null) throw invalidParameter(field, 'expected { m, cosigners, sorted?, scriptType? }');
  const { m, cosigners, sorted = true, scriptType = 'p2wsh' } = account;
  if (!(scriptType in MULTISIG_INPUT_SCRIPT_TYPE)) throw invalidParameter(`${field}.scriptType`, "expected 'p2sh', 'p2sh-p2wsh' or 'p2wsh'");
  if (scriptType !== 'p2sh' && !coin.segwit) throw invalidParameter(`${field}.scriptType`, `${coin.name} has no segwit`);
  if (!Array.isArray(cosigners) || cosigners.length < 1 || cosigners.length > 15) throw invalidParameter(`${field}.cosigners`, 'expected 1 to 15 account keys');
  if (!Number.isInteger(m) || m < 1 || m > cosigners.length) throw invalidParameter(`${field}.m`, `expected 1 ≤ m ≤ ${cosigners.length}, got ${String(m)}`);
  const accounts = cosigners.map((c, i) => {
    const where = `${field}.cosigners[${i}]`;
    if (typeof c !== 'object' || c === null) throw invalidParameter(where, 'expected { xpub, path, rootFingerprint }');
    const node = decodeXpub(c.xpub, `${where}.xpub`);
    const path = parsePath(c.path, `${where}.path`);
    if (node.depth !== path.length) throw invalidParameter(`${where}.path`, `depth ${path.length} does not match the xpub's depth ${node.depth}`);
    const fp = c.rootFingerprint;
    if (!Number.isInteger(fp) || fp < 0 || fp > 0xffffffff) throw invalidParameter(`${where}.rootFingerprint`, 'expected a u32 (getPublicKey returns it)');
    let key: PublicNode;
    try {
      key = publicNode(node.publicKey, node.chainCode);
    } catch {
      throw invalidParameter(`${where}.xpub`, 'its key is not a point of secp256k1');
    }
    return { node, path, fingerprint: fp, key, children: new Map<string, PublicNode>() };
  });
  return {
    scriptType,
    /** The wallet's scripts at a path below the accounts (unhardened steps, e.g. "0/3"). */
    at(rest: Path, where: string): MultisigSpend {
      const steps = parsePath(rest, where);
      if (steps.length === 0 || steps.some((n) => n >= HARDENED)) throw invalidParameter(where, 'expected the unhardened path below the cosigners\' accounts, e.g. "0/3"');
      const keys = accounts.map((a) => ({ publicKey: derive(a, steps, where), fingerprint: a.fingerprint, path: [...a.path, ...steps] }));
      const script = multisigScript(m, keys.map((k) => k.publicKey), sorted, field);
      return { ...multisigPayment(scriptType, script), bip32Derivation: keys.map((k) => [k.publicKey, { fingerprint: k.fingerprint, path: k.path }]) };
    },
    /** The PSBT with every cosigner's account as PSBT_GLOBAL_XPUB (plain xpub/tpub version). */
    withXpubs(psbt: Uint8Array): Uint8Array {
      const raw = decodeRawPsbt(psbt, (problem) => invalidParameter('psbt', problem));
      removeTypes(raw.global, [0x01]);
      for (const a of accounts) {
        // PSBT_GLOBAL_XPUB: key 0x01 ‖ the 78-byte node; value: fingerprint (big-endian) ‖ path (u32 LE each).
        const origin = concatBytes(u32le(a.fingerprint).reverse(), ...a.path.map(u32le));
        setPair(raw.global, psbtKey(0x01, xpubBytes({ ...a.node, version: coin.xpubVersion.p2pkh })), origin);
      }
      return encodeRawPsbt(raw);
    },
  };
}
