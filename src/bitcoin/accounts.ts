/**
 * Host-side keys of a device account: the public children of an account xpub (as getPublicKey
 * returns it), so that createPsbt can write BIP-32 derivation records and change outputs
 * without asking the device again.
 */
import { invalidParameter } from '../errors.js';
import { childNode, publicNode, type PublicNode } from './ckd.js';
import { HARDENED, formatPath, parsePath, type Path } from '../path.js';
import { decodeXpub } from './xpub.js';

/** An account key: what getPublicKey returns for an account path (extra fields are ignored). */
export interface AccountKey {
  /** Extended public key of the account (any SLIP-132 version). */
  xpub: string;
  /** The account's own path, e.g. "m/84'/1'/0'". */
  path: Path;
  /** Master key fingerprint (u32), for the PSBT key origins. */
  rootFingerprint: number;
}

interface ResolvedAccount {
  addressN: number[];
  rootFingerprint: number;
  key: PublicNode;
}

/**
 * Derives public keys under a set of accounts, caching every node derived (the chain node, and
 * each key, so that a path asked for twice costs one lookup).
 * @example new AccountKeys(account).derive(parsePath("m/84'/0'/0'/0/1"), 'path').publicKey
 */
export class AccountKeys {
  private readonly accounts: ResolvedAccount[];
  private readonly cache = new Map<string, PublicNode>();

  constructor(accounts: AccountKey | readonly AccountKey[] | undefined, field = 'account') {
    const list = accounts === undefined ? [] : Array.isArray(accounts) ? accounts : [accounts as AccountKey];
    this.accounts = list.map((account, i) => {
      const where = Array.isArray(accounts) ? `${field}[${i}]` : field;
      if (typeof account !== 'object' || account === null) throw invalidParameter(where, 'expected { xpub, path, rootFingerprint }');
      const node = decodeXpub(account.xpub, `${where}.xpub`);
      const addressN = parsePath(account.path, `${where}.path`);
      if (node.depth !== addressN.length) throw invalidParameter(`${where}.path`, `depth ${addressN.length} does not match the xpub's depth ${node.depth}`);
      const fp = account.rootFingerprint;
      if (typeof fp !== 'number' || !Number.isInteger(fp) || fp < 0 || fp > 0xffffffff) {
        throw invalidParameter(`${where}.rootFingerprint`, 'expected a u32 (getPublicKey returns it)');
      }
      let key: PublicNode;
      try {
        key = publicNode(node.publicKey, node.chainCode);
      } catch {
        throw invalidParameter(`${where}.xpub`, 'its key is not a point of secp256k1');
      }
      return { addressN, rootFingerprint: fp, key };
    });
  }

  /**
   * The public key at a full path under one of the accounts, with the master fingerprint.
   * InvalidParameters (naming `field`) when no account is a prefix or a step is hardened.
   */
  derive(addressN: readonly number[], field: string): { publicKey: Uint8Array; rootFingerprint: number } {
    const account = this.accounts.find(
      (a) => a.addressN.length <= addressN.length && a.addressN.every((n, i) => addressN[i] === n),
    );
    if (!account) throw invalidParameter(field, `${formatPath(addressN)} is not under any account given`);
    let node = account.key;
    let id = `${this.accounts.indexOf(account)}`;
    for (let i = account.addressN.length; i < addressN.length; i++) {
      const index = addressN[i]!;
      if (index >= HARDENED) throw invalidParameter(field, `${formatPath(addressN)} has a hardened step below the account`);
      id += `/${index}`;
      let child = this.cache.get(id);
      if (!child) {
        const derived = childNode(node, index);
        if (!derived) throw invalidParameter(field, `${formatPath(addressN)} is an invalid BIP-32 child (IL ≥ n): use the next index`);
        child = derived;
        this.cache.set(id, child);
      }
      node = child;
    }
    return { publicKey: node.publicKey, rootFingerprint: account.rootFingerprint };
  }
}
