/**
 * The seed and the keys of one session of the virtual device, computed once. The BIP-39 seed
 * goes through WebCrypto's native PBKDF2 where there is one (seedOf). Deriving a node costs an
 * HMAC-SHA512 and a point multiplication per path element; a test suite asks for the same
 * handful of accounts again and again, so the device keeps every node it derives, by path,
 * as the firmware keeps derived nodes too (the Trezor One's bip32 cache of path prefixes,
 * trezor-crypto bip32.c hdnode_private_ckd_cached; Core's keychain LRU, apps/common/keychain.py).
 *
 * A Keychain belongs to one seed: the session holds it in place of the seed, so whatever
 * forgets the seed (LoadDevice, WipeDevice, ResetDevice, recovery, a new session with another
 * passphrase, EndSession) forgets every node derived from it with the same assignment, and
 * two sessions never share one. The device also drops the nodes (keeping the seed) when it
 * locks: nothing derived stays cached behind the lock screen.
 *
 * Entries are evicted oldest-used first past `limit`.
 */
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { slip10Child, slip10Master, type Slip10Curve, type Slip10Node } from './handlers/slip10.js';

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * BIP-39 seed of a mnemonic as the firmware computes it: PBKDF2-HMAC-SHA512, 2048 rounds,
 * salt "mnemonic" + passphrase, both strings taken as they arrive (no checksum check, no NFKD:
 * hosts normalize them, or not).
 * @example mnemonicToSeed('all all all all all all all all all all all all', '').length // 64
 */
export function mnemonicToSeed(mnemonic: string, passphrase: string): Uint8Array {
  return pbkdf2(sha512, encoder.encode(mnemonic), encoder.encode(`mnemonic${passphrase}`), { c: 2048, dkLen: 64 });
}

/**
 * The same seed through WebCrypto where the platform offers it (native code: about a seventh
 * of the CPU of the JavaScript PBKDF2, which dominated the first call of every session), else
 * mnemonicToSeed().
 * @example const seed = await seedOf(mnemonic, passphrase)
 */
export async function seedOf(mnemonic: string, passphrase: string): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    try {
      const key = await subtle.importKey('raw', encoder.encode(mnemonic), 'PBKDF2', false, ['deriveBits']);
      const salt = encoder.encode(`mnemonic${passphrase}`);
      return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt, iterations: 2048 }, key, 512));
    } catch {
      // a WebCrypto without PBKDF2 / SHA-512: compute it here
    }
  }
  return mnemonicToSeed(mnemonic, passphrase);
}

/** Nodes kept per session; a 500-input transaction needs about 500 + a few prefixes. */
const DEFAULT_LIMIT = 2048;

/** A bounded map that forgets the least recently used entry first. */
class Lru<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly limit: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Map keeps insertion order: move the hit to the end.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.set(key, value);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Derived keys of one BIP-39 seed: BIP-32 on secp256k1, SLIP-10 on the other curves.
 * @example
 * const keys = new Keychain(seed);
 * keys.node([0x80000054, 0x80000000, 0x80000000, 0, 0]).publicKey; // m/84'/0'/0'/0/0
 */
export class Keychain {
  private master: HDKey | undefined;
  private readonly nodes: Lru<HDKey>;
  private readonly slip10Nodes: Lru<Slip10Node>;

  constructor(
    /** The 64-byte BIP-39 seed. */
    readonly seed: Uint8Array,
    limit = DEFAULT_LIMIT,
  ) {
    this.nodes = new Lru(limit);
    this.slip10Nodes = new Lru(limit);
  }

  /** The BIP-32 master node (secp256k1). */
  get root(): HDKey {
    this.master ??= HDKey.fromMasterSeed(this.seed);
    return this.master;
  }

  /** The secp256k1 node at `path` (BIP-32 indices, hardened ones ≥ 0x80000000). */
  node(path: readonly number[]): HDKey {
    return walk(path, this.root, this.nodes, '', (parent, index) => parent.deriveChild(index));
  }

  /** The SLIP-10 master node on `curve`. */
  slip10Root(curve: Slip10Curve): Slip10Node {
    let master = this.slip10Nodes.get(curve);
    if (!master) {
      master = slip10Master(curve, this.seed);
      this.slip10Nodes.set(curve, master);
    }
    return master;
  }

  /** The SLIP-10 node at `path` on `curve` (throws DeviceFailure where the curve cannot derive). */
  slip10(curve: Slip10Curve, path: readonly number[]): Slip10Node {
    return walk(path, this.slip10Root(curve), this.slip10Nodes, curve, slip10Child);
  }

  /** How many derived nodes are kept (for tests). */
  get cached(): number {
    return this.nodes.size + this.slip10Nodes.size;
  }

  /** Forget every derived node (the seed stays). */
  forgetNodes(): void {
    this.master = undefined;
    this.nodes.clear();
    this.slip10Nodes.clear();
  }
}

/** Follow `path` from `root`, taking each step from `cache` or deriving (and caching) it. */
function walk<N>(path: readonly number[], root: N, cache: Lru<N>, prefix: string, child: (parent: N, index: number) => N): N {
  if (path.length === 0) return root;
  // A hit on the whole path (the usual case) costs one key and one lookup.
  const whole = prefix + '/' + path.join('/');
  const hit = cache.get(whole);
  if (hit !== undefined) return hit;
  // Otherwise the longest cached prefix, then derive the rest.
  let depth = path.length - 1;
  let node: N | undefined;
  const keys: string[] = [];
  let key = prefix;
  for (const index of path) keys.push((key += `/${index}`));
  while (depth > 0 && (node = cache.get(keys[depth - 1]!)) === undefined) depth--;
  node ??= root;
  for (; depth < path.length; depth++) {
    node = child(node, path[depth]!);
    cache.set(keys[depth]!, node);
  }
  return node;
}
