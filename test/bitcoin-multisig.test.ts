// Multisig and external inputs on the host: the BIP-383 descriptor of a 2-of-3 wallet against a
// public one (selfcustody/krux tests/test_psbt.py WSH_MULTISIG, Bitcoin Core's checksum), the
// script forms, and what signPsbt / getAddress refuse before anything reaches the device.
import { hex } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { RawTx, Transaction, p2ms, p2wsh } from '@scure/btc-signer';
import { createPsbt, getAccountDescriptor, getAddress, multisigDescriptor, signPsbt } from '../src/bitcoin/index.js';
import { COINS } from '../src/bitcoin/coins.js';
import { connect } from '../src/session/connect.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { MNEMONIC, accountKey, publicKeyAt } from './support/bitcoin-wallet.js';
import { multisigPayment, multisigScript, parseMultisigScript } from '../src/bitcoin/multisig.js';
import { isTrezorError } from '../src/errors.js';
import type { Trezor } from '../src/session/trezor.js';
import { RawPSBTV0 } from '@scure/btc-signer/psbt.js';
import { readFileSync } from 'node:fs';
import { vectorPsbt } from './support/btc-vector-psbt.js';
import { fixturePath } from './support/fixtures.js';
import { formatPath } from '../src/path.js';

const TESTNET = { bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const WSH_MULTISIG =
  'wsh(sortedmulti(2,[02e8bff2/48h/1h/0h/2h]tpubDESmyzX6RMHRHvzxgLVXymd193CSYYT6C9M9wa4XK649tbAy2WeEvkPwBgoC7i76MypQxpuruUazQjqibbCogTZuENJX6YiuZ5Fy8sf7GNi/<0;1>/*,[8cb36b38/48h/1h/0h/2h]tpubDESTVwqbbaSoN2mPq7tcWkPBpRBkaEADrUzUhRTVnNef6oVn6w2PHL4zoUjUAJSPLJQRBetkgX4sDRcoaCyFHxqHGyWyaiV8REKDkh7zQac/<0;1>/*,[73c5da0a/48h/1h/0h/2h]tpubDFH9dgzveyD8zTbPUFuLrGmCydNvxehyNdUXKJAQN8x4aZ4j6UZqGfnqFrD4NqyaTVGKbvEW54tsvPTK2UoSbCC1PJY8iCNiwTL3RWZEheQ/<0;1>/*))#jpxgnm0a';

const untouchable = {
  features: { major_version: 2, minor_version: 4, patch_version: 1 },
  call: () => {
    throw new Error('the device was contacted');
  },
  exclusive: () => {
    throw new Error('the device was contacted');
  },
} as unknown as Trezor;

async function refused(promise: Promise<unknown>, field: string): Promise<void> {
  try {
    await promise;
  } catch (e) {
    expect(isTrezorError(e, 'InvalidParameters')).toBe(true);
    expect((e as { field?: string }).field).toBe(field);
    return;
  }
  throw new Error(`expected InvalidParameters for ${field}`);
}

describe('multisigDescriptor', () => {
  it('writes a public 2-of-3 wsh(sortedmulti) descriptor with its checksum', () => {
    const keys = [...WSH_MULTISIG.matchAll(/\[([0-9a-f]{8})\/48h\/1h\/0h\/2h\](tpub[1-9A-HJ-NP-Za-km-z]+)/g)];
    expect(keys).toHaveLength(3);
    const cosigners = keys.map(([, fp, xpub]) => ({ xpub: xpub!, path: "m/48'/1'/0'/2'", rootFingerprint: parseInt(fp!, 16) }));
    expect(multisigDescriptor({ m: 2, cosigners })).toBe(WSH_MULTISIG);
    expect(multisigDescriptor({ m: 2, cosigners, scriptType: 'p2sh-p2wsh' })).toMatch(/^sh\(wsh\(sortedmulti\(2,.*\)\)\)#[a-z0-9]{8}$/);
  });

  it('refuses m > n, an empty wallet and a path that does not match the xpub', () => {
    const [, fp, xpub] = WSH_MULTISIG.match(/\[([0-9a-f]{8})\/48h\/1h\/0h\/2h\](tpub[1-9A-HJ-NP-Za-km-z]+)/)!;
    const one = { xpub: xpub!, path: "m/48'/1'/0'/2'", rootFingerprint: parseInt(fp!, 16) };
    expect(() => multisigDescriptor({ m: 2, cosigners: [one] })).toThrow(expect.objectContaining({ field: 'm' }));
    expect(() => multisigDescriptor({ m: 1, cosigners: [] })).toThrow(expect.objectContaining({ field: 'cosigners' }));
    expect(() => multisigDescriptor({ m: 1, cosigners: [{ ...one, path: "m/48'/1'" }] })).toThrow(expect.objectContaining({ field: 'cosigners[0].path' }));
    expect(() => multisigDescriptor({ m: 1, cosigners: [one, one] })).toThrow(expect.objectContaining({ field: 'cosigners' }));
  });
});

describe('multisig scripts', () => {
  // test_multisig.py::test_2_of_3 (btc-complete.json): three keys, 2-of-3, the P2SH it pays to.
  const vector = JSON.parse(readFileSync(fixturePath('vectors/btc-complete.json'), 'utf8')).vectors.find((v: { id: string }) => v.id === 'test_multisig.py::test_2_of_3[False]#call0');
  const keys = vector.multisig ?? vector.inputs[0].multisig;
  const pubkeys = keys.pubkeys_derived.map((k: string) => hex.decode(k));

  it('round-trips m-of-n and pays to the previous output of the vector', () => {
    const script = multisigScript(2, pubkeys);
    expect(parseMultisigScript(script)).toEqual({ m: 2, pubkeys });
    const prev = vector.prev_txs[vector.inputs[0].prev_hash].bin_outputs[vector.inputs[0].prev_index];
    expect(hex.encode(multisigPayment('p2sh', script).script)).toBe(prev.script_pubkey);
  });

  it('refuses m > n, n > 15 and keys that are not compressed', () => {
    expect(() => multisigScript(4, pubkeys)).toThrow(expect.objectContaining({ field: 'multisig.m' }));
    expect(() => multisigScript(1, new Array(16).fill(pubkeys[0]))).toThrow(expect.objectContaining({ field: 'multisig.pubkeys' }));
    expect(() => multisigScript(1, [pubkeys[0].subarray(1)])).toThrow(expect.objectContaining({ field: 'multisig.pubkeys[0]' }));
  });
});

describe('refused before the device is touched', () => {
  const vector = JSON.parse(readFileSync(fixturePath('vectors/btc-complete.json'), 'utf8')).vectors.find((v: { id: string }) => v.id === 'test_multisig.py::test_2_of_3[False]#call0');

  it('a witness/redeem script the spent output does not pay to', async () => {
    const raw = RawPSBTV0.decode(vectorPsbt(vector));
    const script = raw.inputs[0]!.redeemScript!;
    const { m, pubkeys } = parseMultisigScript(script)!;
    raw.inputs[0]!.redeemScript = multisigScript(m, [...pubkeys].reverse()) as never; // the same keys in another order
    await refused(signPsbt(untouchable, RawPSBTV0.encode(raw), { coin: 'Testnet' }), 'psbt.inputs[0].redeemScript');
  });

  it('a cosigner signature that is not SIGHASH_ALL', async () => {
    const raw = RawPSBTV0.decode(vectorPsbt(vector));
    const other = raw.inputs[0]!.bip32Derivation![1]![0];
    raw.inputs[0]!.partialSig = [[other, Uint8Array.of(0x30, 0x02, 0x02, 0x00, 0x83)]] as never;
    await refused(signPsbt(untouchable, RawPSBTV0.encode(raw), { coin: 'Testnet' }), 'psbt.inputs[0].partialSig');
  });

  it('an external input without its owner\'s signature or an ownership proof (strict safety checks)', async () => {
    const raw = RawPSBTV0.decode(vectorPsbt(vector));
    delete raw.inputs[0]!.bip32Derivation;
    await refused(signPsbt(untouchable, RawPSBTV0.encode(raw), { coin: 'Testnet' }), 'psbt.inputs[0].bip32Derivation');
  });

  it('getAddress: m > n, a path without chain/index, a bad xpub', async () => {
    const xpubs = vector.inputs[0].multisig.nodes.map((n: { xpub: string }) => n.xpub);
    await refused(getAddress(untouchable, { path: "m/48'/1'/1'/0'/0/0", coin: 'Testnet', multisig: { m: 4, xpubs } }), 'multisig.m');
    await refused(getAddress(untouchable, { path: "m/48'/1'/1'/0'", coin: 'Testnet', multisig: { m: 2, xpubs } }), 'path');
    await refused(getAddress(untouchable, { path: "m/48'/1'/1'/0'/0/0", coin: 'Testnet', multisig: { m: 2, xpubs: ['xpub', ...xpubs.slice(1)] } }), 'multisig.xpubs[0]');
  });
});

describe('createPsbt from a multisig wallet, signed in turn (one seed, three BIP-48 accounts)', () => {
  it('writes scripts, derivations and xpubs; two signPsbt calls complete it; @scure/btc-signer finalizes the same transaction', async () => {
    const cosigners = ["m/48'/1'/0'/2'", "m/48'/1'/1'/2'", "m/48'/1'/2'/2'"].map((p) => accountKey(p, COINS.Testnet));
    // The funding transaction pays to the wallet's 0/0 script, computed independently with btc-signer.
    const keysAt = (chain: number, index: number) => cosigners.map((c) => publicKeyAt(`${c.path}/${chain}/${index}`)).sort((a, b) => hex.encode(a).localeCompare(hex.encode(b)));
    const payment = p2wsh(p2ms(2, keysAt(0, 0)), TESTNET);
    const prev = RawTx.encode({ version: 2, segwitFlag: false, inputs: [{ txid: new Uint8Array(32).fill(3), index: 0, finalScriptSig: Uint8Array.of(0x51), sequence: 0xffffffff }], outputs: [{ amount: 80_000n, script: payment.script }], witnesses: undefined, lockTime: 0 });
    const txid = hex.encode(sha256(sha256(prev)).reverse());
    const psbt = createPsbt({
      coin: 'Testnet',
      multisig: { m: 2, cosigners },
      utxos: [{ txid, vout: 0, amount: 80_000n, path: '0/0', prevTx: prev }],
      outputs: [{ address: 'tb1qe48wz5ysk9mlzhkswcxct9tdjw6ejr2l9e6j8q', amount: 50_000n }],
      feeRate: 2,
      change: { path: '1/0' },
    });
    const raw = RawPSBTV0.decode(psbt);
    expect(hex.encode(raw.inputs[0]!.witnessScript!)).toBe(hex.encode(payment.witnessScript!));
    expect(raw.inputs[0]!.bip32Derivation).toHaveLength(3);
    expect(raw.global.xpub).toHaveLength(3);
    // tpub version bytes 0x043587cf (BIP-32 testnet public), each cosigner's node and origin (in key order).
    expect(raw.global.xpub!.map(([node, origin]) => [node.version, hex.encode(node.publicKey), origin.fingerprint, formatPath(origin.path)]).sort()).toEqual(
      cosigners.map((c) => [0x043587cf, hex.encode(publicKeyAt(c.path)), c.rootFingerprint, c.path]).sort(),
    );
    // The xpubs are written (by psbtCodec.ts) in the order btc-signer's own encoder gives them.
    expect(RawPSBTV0.encode(raw)).toEqual(psbt);
    const change = raw.outputs.findIndex((o) => o.witnessScript);
    expect(hex.encode(raw.outputs[change]!.witnessScript!)).toBe(hex.encode(p2ms(2, keysAt(1, 0)).script));

    const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, autoConfirm: true, model: 'T2T1' });
    const trezor = await connect({ transport: virtual.transport() });
    try {
      const first = await signPsbt(trezor, psbt, { coin: 'Testnet' });
      expect(first.complete).toBe(false);
      const second = await signPsbt(trezor, first.psbt, { coin: 'Testnet' });
      expect(second.complete).toBe(true);
      expect(RawPSBTV0.decode(second.psbt).inputs[0]!.partialSig).toHaveLength(2);
      const final = Transaction.fromPSBT(second.psbt);
      final.finalize();
      expect(final.hex).toBe(hex.encode(second.tx));
    } finally {
      await trezor.close();
      await virtual.close();
    }
  });

  it('refuses a hardened path below the accounts and m larger than the cosigners', () => {
    const cosigners = ["m/48'/1'/0'/2'", "m/48'/1'/1'/2'"].map((p) => accountKey(p, COINS.Testnet));
    const base = { coin: 'Testnet' as const, utxos: [{ txid: '00'.repeat(32), vout: 0, amount: 1n, path: '0/0' }], outputs: [{ address: 'tb1qe48wz5ysk9mlzhkswcxct9tdjw6ejr2l9e6j8q', amount: 50_000n }], feeRate: 1, change: { path: '1/0' } };
    expect(() => createPsbt({ ...base, multisig: { m: 3, cosigners } })).toThrow(expect.objectContaining({ field: 'multisig.m' }));
    expect(() => createPsbt({ ...base, multisig: { m: 2, cosigners }, utxos: [{ ...base.utxos[0]!, path: "0'/0" }] })).toThrow(expect.objectContaining({ field: 'utxos[0].path' }));
  });
});

describe('getAccountDescriptor({ multisig })', () => {
  it("adds the device's own account key (xpub and master fingerprint from the device) to the cosigners", async () => {
    const others = ["m/48'/1'/1'/2'", "m/48'/1'/2'/2'"].map((p) => accountKey(p, COINS.Testnet));
    const own = accountKey("m/48'/1'/0'/2'", COINS.Testnet);
    const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, autoConfirm: true, model: 'T1B1' });
    const trezor = await connect({ transport: virtual.transport() });
    try {
      const descriptor = await getAccountDescriptor(trezor, { path: own.path, coin: 'Testnet', multisig: { m: 2, cosigners: others } });
      expect(descriptor).toBe(multisigDescriptor({ m: 2, cosigners: [own, ...others] }));
      expect(descriptor).toContain(`[5c9e228d/48h/1h/0h/2h]${own.xpub}/<0;1>/*`);
    } finally {
      await trezor.close();
      await virtual.close();
    }
  });
});
