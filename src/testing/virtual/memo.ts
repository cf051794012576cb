/**
 * Results of pure functions kept beside the object they were computed from, for as long as that
 * object lives. A test suite asks the virtual device for the same few addresses and xpubs again
 * and again; the device keeps the derived nodes (./keychain.ts), and with this the strings made
 * from them: an address is a hash160 and a bech32 / base58 encoding, an xpub a base58check of 82
 * bytes, each costing more than the rest of the request. The entries go when the node goes
 * (the keychain forgets it: lock, wipe, another passphrase), as a WeakMap drops them.
 */
const memos = new WeakMap<object, Map<string, unknown>>();

/**
 * `compute()`, computed once per `owner` and `key` (a throw keeps nothing).
 * @example memoize(node, `xpub/${version}`, () => base58check.encode(serialized))
 */
export function memoize<T>(owner: object, key: string, compute: () => T): T {
  let entries = memos.get(owner);
  if (entries === undefined) {
    entries = new Map();
    memos.set(owner, entries);
  } else if (entries.has(key)) {
    return entries.get(key) as T;
  }
  const value = compute();
  entries.set(key, value);
  return value;
}
