/**
 * Host-side keys of a device account: the public children of an account xpub (as getPublicKey
 * returns it), so that createPsbt can write BIP-32 derivation records and change outputs
 * without asking the device again.
 */
import { HDKey } from '@scure/bip32';
import { invalidParameter } from '../errors.js';
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
  key: HDKey;
}

/**
 * Derives public keys under a set of accounts, caching intermediate nodes (e.g. the chain node).
 * @example new AccountKeys(account).derive(parsePath("m/84'/0'/0'/0/1"), 'path').publicKey
 */
export class AccountKeys {
  private readonly accounts: ResolvedAccount[];
  private readonly cache = new Map<string, HDKey>();

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
      const key = new HDKey({
        publicKey: node.publicKey,
        chainCode: node.chainCode,
        depth: node.depth,
        index: node.childNumber,
        parentFingerprint: node.parentFingerprint,
      });
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
    const prefix = formatPath(account.addressN) + `#${account.rootFingerprint}`;
    for (let i = account.addressN.length; i < addressN.length; i++) {
      const index = addressN[i]!;
      if (index >= HARDENED) throw invalidParameter(field, `${formatPath(addressN)} has a hardened step below the account`);
      const id = `${prefix}/${addressN.slice(account.addressN.length, i + 1).join('/')}`;
      let child = this.cache.get(id);
      if (!child) {
        child = node.deriveChild(index);
        this.cache.set(id, child);
      }
      node = child;
    }
    return { publicKey: node.publicKey!, rootFingerprint: account.rootFingerprint };
  }
}
