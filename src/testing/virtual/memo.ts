/**
 * Results of pure functions kept beside the object they were computed from, for as long as that
 * object lives. A test suite asks the virtual device for the same few addresses and xpubs again
 * and again; the device keeps the derived nodes (./keychain.ts), and with this the strings made
 * from them: an address is a hash160 and a bech32 / base58 encoding, an xpub a base58check of 82
 * bytes, each costing more than the rest of the request. The entries go when the node goes
 * (the keychain forgets it: lock, wipe, another passphrase), as a WeakMap drops them. A reply
 * that is the same every time (GetPublicKey's) is also encoded only once (stableMessage).
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

/** Messages built once and answered again as they are (see stableMessage). */
const stable = new WeakSet<object>();

/**
 * A reply message memoized beside `owner` (as memoize()), marked as never changing again, so
 * that the device encodes it once too (encodedOnce). The caller must not modify it afterwards.
 * @example return { type: 'PublicKey', message: stableMessage(node, key, () => buildPublicKey()) }
 */
export function stableMessage<T extends object>(owner: object, key: string, build: () => T): T {
  return memoize(owner, key, () => {
    const message = build();
    stable.add(message);
    return message;
  });
}

/**
 * `encode(message)`, computed once for a message of stableMessage(), every time for any other.
 * @example const { type, payload } = encodedOnce(message, () => encodeMessage(name, message))
 */
export function encodedOnce<T>(message: object, encode: () => T): T {
  return stable.has(message) ? memoize(message, 'encoded', encode) : encode();
}
