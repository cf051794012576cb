// The virtual device's key cache (src/testing/virtual/keychain.ts): a cached node is the node
// a fresh derivation gives, the cache stays within its bound, and it never outlives what it
// was derived from: sessions with different passphrases keep their own keys, LoadDevice after
// WipeDevice derives from the new seed, and LockDevice drops every derived node (the next call
// asks for the PIN and derives again).
//
// Expected values are public vectors: the SLIP-14 xpubs of m/44h/0h/0h for no passphrase and
// the passphrases "A" and "B" (trezor-firmware tests/device_tests/test_session_id_and_passphrase.py,
// XPUB_PASSPHRASE_NONE and XPUB_PASSPHRASES), SLIP-14 m/84h/0h/0h/1/0 (tests/device_tests/
// bitcoin/test_getaddress_segwit_native.py), and BIP-84's own test vector for the mnemonic
// "abandon … about" (m/84h/0h/0h/1/0); the BIP-39 seed of that mnemonic with the passphrase
// "TREZOR" is the first vector of trezor/python-mnemonic vectors.json.
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getAddress, getPublicKey } from '../src/bitcoin/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { encodePin } from '../src/testing/debuglink.js';
import type { Model } from '../src/testing/virtual/context.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { Keychain, mnemonicToSeed, seedOf } from '../src/testing/virtual/keychain.js';
import { parsePath } from '../src/path.js';

const SLIP14 = 'all all all all all all all all all all all all';
const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

const XPUB_PASSPHRASE_NONE =
  'xpub6BiVtCpG9fQPxnPmHXG8PhtzQdWC2Su4qWu6XW9tpWFYhxydCLJGrWBJZ5H6qTAHdPQ7pQhtpjiYZVZARo14qHiay2fvrX996oEP42u8wZy';
const XPUB_PASSPHRASE_A =
  'xpub6CekxGcnqnJ6osfY4Rrq7W5ogFtR54KUvz4H16XzaQuukMFZCGebEpVznfq4yFcKEmYyShwj2UKjL7CazuNSuhdkofF4mHabHkLxCMVvsqG';
const XPUB_PASSPHRASE_B =
  'xpub6CFxuyQpgryoR64QC38w42dLgDv5P4qWXhn1fbaN62UYzu1wJXZyrYqGnkq5d8xPUK68RXtXFBiqp3rfLGpeQ57zLtx675ZZn5ezKMAWQfu';
const CHANGE_PATH = "m/84'/0'/0'/1/0";
const SLIP14_CHANGE = 'bc1qktmhrsmsenepnnfst8x6j27l0uqv7ggrg8x38q';
const ABANDON_CHANGE = 'bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

function device(options: ConstructorParameters<typeof VirtualTrezor>[0]): VirtualTrezor {
  const virtual = new VirtualTrezor(options);
  open.push(virtual);
  return virtual;
}

async function connected(virtual: VirtualTrezor, ui: Parameters<typeof connect>[0]['ui'] = {}): Promise<Trezor> {
  const trezor = await connect({ transport: virtual.transport(), ui, sessionId: null });
  open.push(trezor);
  return trezor;
}

/** Derived nodes the device keeps, over all its sessions. */
function cachedNodes(virtual: VirtualTrezor): number {
  return virtual.device.sessions.reduce((n, session) => n + (session.keys?.cached ?? 0), 0);
}

describe('BIP-39 seed', () => {
  const expected =
    'c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04';
  const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

  it('is the same through WebCrypto, without it, and synchronously', async () => {
    expect(hex(mnemonicToSeed(ABANDON, 'TREZOR'))).toBe(expected);
    expect(hex(await seedOf(ABANDON, 'TREZOR'))).toBe(expected);
    vi.stubGlobal('crypto', undefined);
    try {
      expect(hex(await seedOf(ABANDON, 'TREZOR'))).toBe(expected);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('Keychain', () => {
  const seed = mnemonicToSeedSync(SLIP14);
  const reference = HDKey.fromMasterSeed(seed);
  const paths = ["m/84'/0'/0'/0/0", "m/84'/0'/0'/0/1", "m/84'/0'/0'", "m/44'/60'/0'/0/0", 'm/0/1/2', "m/84'/0'/0'/0/0"];

  it('gives the node a fresh BIP-32 derivation gives, in any order of requests', () => {
    const keys = new Keychain(seed);
    for (const path of paths) {
      const node = keys.node(parsePath(path));
      const expected = reference.derive(path);
      expect(node.publicExtendedKey, path).toBe(expected.publicExtendedKey);
      expect(node.privateKey, path).toEqual(expected.privateKey);
    }
    expect(keys.node([]).publicExtendedKey).toBe(reference.publicExtendedKey);
  });

  it('keeps no more nodes than its limit, and still derives correctly past it', () => {
    const keys = new Keychain(seed, 4);
    for (let i = 0; i < 12; i++) {
      const path = `m/84'/0'/0'/0/${i}`;
      expect(keys.node(parsePath(path)).publicExtendedKey).toBe(reference.derive(path).publicExtendedKey);
      expect(keys.cached).toBeLessThanOrEqual(8); // 4 secp256k1 + 4 SLIP-10 at most
    }
    for (const path of paths) expect(keys.node(parsePath(path)).publicExtendedKey).toBe(reference.derive(path).publicExtendedKey);
  });

  it('keeps SLIP-10 trees apart by curve and from the BIP-32 tree', () => {
    const keys = new Keychain(seed);
    const path = [0x8000000d, 0x80000001];
    const ed = keys.slip10('ed25519', path);
    const nist = keys.slip10('nist256p1', path);
    const secp = keys.slip10('secp256k1', path);
    expect(new Set([ed, nist, secp].map((n) => n.curve))).toEqual(new Set(['ed25519', 'nist256p1', 'secp256k1']));
    expect(ed.privateKey).not.toEqual(nist.privateKey);
    // SLIP-10 on secp256k1 is BIP-32.
    expect(secp.privateKey).toEqual(keys.node(path).privateKey);
    // A second Keychain of the same seed agrees.
    expect(new Keychain(seed).slip10('ed25519', path).publicKey).toEqual(ed.publicKey);
  });

  it('forgetNodes() empties the cache and derives the same keys again', () => {
    const keys = new Keychain(seed);
    const before = keys.node(parsePath(CHANGE_PATH)).publicExtendedKey;
    keys.slip10('ed25519', [0x80000000]);
    expect(keys.cached).toBeGreaterThan(0);
    keys.forgetNodes();
    expect(keys.cached).toBe(0);
    expect(keys.node(parsePath(CHANGE_PATH)).publicExtendedKey).toBe(before);
  });
});

for (const model of ['T1B1', 'T2T1'] as Model[]) {
  describe(`virtual ${model}: cached keys follow the seed`, () => {
    it('sessions with different passphrases never share keys, resumed or not', async () => {
      const virtual = device({ mnemonic: SLIP14, model, passphraseProtection: true, autoConfirm: true });
      let passphrase = '';
      let asked = 0;
      const trezor = await connected(virtual, {
        passphrase: async () => {
          asked++;
          return { passphrase };
        },
      });
      const xpub = async () => (await getPublicKey(trezor, { path: "m/44'/0'/0'", coin: 'Bitcoin' })).xpub;

      passphrase = 'A';
      expect(await xpub()).toBe(XPUB_PASSPHRASE_A);
      const sessionA = trezor.sessionId!;
      await trezor.initialize(null);
      passphrase = 'B';
      expect(await xpub()).toBe(XPUB_PASSPHRASE_B);
      const sessionB = trezor.sessionId!;
      await trezor.initialize(null);
      passphrase = '';
      expect(await xpub()).toBe(XPUB_PASSPHRASE_NONE);
      expect(asked).toBe(3);

      // Resumed sessions answer from their own seed without asking again, whatever the UI would say now.
      passphrase = 'wrong';
      await trezor.initialize(sessionA);
      expect(await xpub()).toBe(XPUB_PASSPHRASE_A);
      await trezor.initialize(sessionB);
      expect(await xpub()).toBe(XPUB_PASSPHRASE_B);
      await trezor.initialize(sessionA);
      expect(await xpub()).toBe(XPUB_PASSPHRASE_A);
      expect(asked).toBe(3);
      const keychains = virtual.device.sessions.map((s) => s.keys);
      expect(new Set(keychains).size).toBe(keychains.length);
    });

    it('WipeDevice + LoadDevice derive from the new seed, not from the cache', async () => {
      const virtual = device({ mnemonic: SLIP14, model, autoConfirm: true });
      const debug = virtual.debugLink();
      let trezor = await connected(virtual);
      expect(await getAddress(trezor, { path: CHANGE_PATH })).toBe(SLIP14_CHANGE);
      expect(await getAddress(trezor, { path: CHANGE_PATH })).toBe(SLIP14_CHANGE);
      expect(cachedNodes(virtual)).toBeGreaterThan(0);
      const oldSession = trezor.sessionId!;

      await trezor.close();
      await debug.loadDevice({ mnemonic: ABANDON });
      expect(cachedNodes(virtual)).toBe(0);
      // Even asking to resume the session of the old seed gets keys of the new one.
      trezor = await connect({ transport: virtual.transport(), sessionId: oldSession });
      open.push(trezor);
      expect(await getAddress(trezor, { path: CHANGE_PATH })).toBe(ABANDON_CHANGE);
    });

    it('LockDevice drops every derived node; the next call unlocks and derives again', async () => {
      const virtual = device({ mnemonic: SLIP14, model, pin: '1234', autoConfirm: true });
      const debug = virtual.debugLink();
      let pins = 0;
      const trezor = await connected(virtual, {
        pin: async () => {
          pins++;
          return encodePin('1234', await debug.readPinMatrix());
        },
      });
      expect(await getAddress(trezor, { path: CHANGE_PATH })).toBe(SLIP14_CHANGE);
      expect(cachedNodes(virtual)).toBeGreaterThan(0);

      await trezor.call('LockDevice', {});
      expect(cachedNodes(virtual)).toBe(0);
      expect(virtual.device.unlocked).toBe(false);

      const pinsBefore = pins;
      expect(await getAddress(trezor, { path: CHANGE_PATH })).toBe(SLIP14_CHANGE);
      expect(virtual.device.unlocked).toBe(true);
      // The Trezor One asks the host for the PIN; the Model T takes it on its own keyboard (autoConfirm types it).
      if (model === 'T1B1') expect(pins).toBe(pinsBefore + 1);
      expect(cachedNodes(virtual)).toBeGreaterThan(0);
    });
  });
}
