// Device suite, multisig and external inputs (issue 11 items 1 and 2):
//
// - every Bitcoin/Testnet multisig and external-input SignTx vector of btc-complete.json (the
//   firmware's test_multisig.py, test_multisig_change.py, test_signtx_external.py, written as
//   PSBTs by test/support/btc-vector-psbt.ts) through signPsbt, byte for byte: the serialized
//   transaction, the txid or the device's signature, whichever the firmware's test asserts;
// - the multisig getAddress vectors through getAddress({ multisig });
// - the "done when": a 2-of-3 P2WSH (sortedmulti, BIP-48) PSBT signed in turn by two
//   devices with different seeds (the suite's target with the SLIP-14 seed, and a VirtualTrezor
//   with another seed), finalized and checked with @scure/btc-signer's own BIP-143 sighash.
//   Against an official emulator (TREZOR_EMULATOR) the emulator is the first cosigner.
//
// A vector is skipped, with the reason printed, where the firmware's own test does not run on
// that firmware (the Trezor One for presigned external inputs; taproot before 2.4.3) or where it
// cannot be a PSBT (a forged previous transaction).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hex } from '@scure/base';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { OutScript, RawTx, SigHash, Transaction, p2ms, p2wsh } from '@scure/btc-signer';
import { sha256 } from '@noble/hashes/sha2.js';
import { RawPSBTV0 } from '@scure/btc-signer/psbt.js';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { getAddress, getPublicKey, signPsbt } from '../../src/bitcoin/index.js';
import { btcNetwork, getCoin } from '../../src/bitcoin/coins.js';
import { decodeXpub } from '../../src/bitcoin/xpub.js';
import { SORTED_MULTISIG_FIRMWARE } from '../../src/bitcoin/multisig.js';
import { firmwareAtLeast } from '../../src/session/firmware.js';
import { modelFamily } from '../../src/models.js';
import { parsePath } from '../../src/path.js';
import { connect } from '../../src/session/connect.js';
import { VirtualTrezor } from '../../src/testing/virtual/device.js';
import { notAPsbt, vectorPsbt } from '../support/btc-vector-psbt.js';
import { fixturePath } from '../support/fixtures.js';
import { closeAll, openDevice, requireFeature, targets, type Target } from './harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const VECTORS: any[] = JSON.parse(readFileSync(fixturePath('vectors/btc-complete.json'), 'utf8')).vectors;
const BITCOIN = (v: any) => v.coin === 'Bitcoin' || v.coin === 'Testnet';
const SIGN = VECTORS.filter((v) => v.kind === 'signtx' && BITCOIN(v) && !v.orig_txs && (v.needs.includes('multisig') || v.needs.includes('external')));
const ADDRESSES = VECTORS.filter((v) => v.kind === 'address' && BITCOIN(v) && v.multisig);
if (SIGN.length < 10 || ADDRESSES.length < 10) throw new Error('btc-complete.json lost its multisig/external vectors');

function skip(ctx: TestContext, reason: string): never {
  console.log(`[skip] ${ctx.task.fullTestName ?? ctx.task.name}: ${reason}`);
  ctx.skip(reason);
  throw new Error('unreachable');
}

/** The partial signatures signPsbt added to input `index` (those the input did not carry). */
function addedSignatures(before: Uint8Array, after: Uint8Array, index: number): string[] {
  const had = new Set((RawPSBTV0.decode(before).inputs[index]!.partialSig ?? []).map(([k]) => hex.encode(k)));
  return (RawPSBTV0.decode(after).inputs[index]!.partialSig ?? []).filter(([k]) => !had.has(hex.encode(k))).map(([, s]) => hex.encode(s));
}

// A second cosigner's seed (BIP-39's all-"abandon" test mnemonic) and a third, host-only one.
const SEED_B = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const SEED_C = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
const ACCOUNT = "m/48'/1'/0'/2'";
const TPUB = { private: 0x04358394, public: 0x043587cf };

afterEach(closeAll);

for (const target of targets()) {
  describe(`multisig and external inputs on ${target}`, () => {
    describe('btc-complete SignTx vectors through signPsbt', () => {
      for (const v of SIGN) {
        it(v.id, async (ctx) => {
          const why = notAPsbt(v);
          if (why) skip(ctx, why);
          const device = await openDevice({ model: target as Target, mnemonic: v.mnemonic });
          if (modelFamily(device.trezor.features) === 1 && !v.firmware.t1) {
            skip(ctx, `the firmware's ${v.source.test} does not run on the Trezor One (${v.source['legacy_v1.14.1']})`);
          }
          if (v.needs.includes('taproot')) requireFeature(ctx, device.trezor.features, 'taproot');
          if (v.needs.includes('ownership_proof') && device.info.family !== 1 && !firmwareAtLeast(device.trezor.features, [1, 0, 0], [2, 5, 1])) {
            skip(ctx, 'Core before 2.5.1 checks SLIP-19 proofs in the draft form (no length prefixes; core apps/bitcoin/ownership.py), the vector carries a final-form proof (the 2.4.1 emulator answers "Invalid signature")');
          }
          const psbt = vectorPsbt(v);
          const result = await signPsbt(device.trezor, psbt, { coin: v.coin });
          const expected = v.expected;
          if (expected.serialized_tx) expect(hex.encode(result.tx)).toBe(expected.serialized_tx);
          if (expected.txid) expect(result.txid).toBe(expected.txid);
          for (const [index, signature] of Object.entries(expected.signatures ?? {})) {
            expect(addedSignatures(psbt, result.psbt, Number(index))).toEqual([`${signature}01`]);
          }
          expect(expected.serialized_tx ?? expected.txid ?? expected.signatures).toBeDefined();
        });
      }
    });

    describe('multisig getAddress vectors', () => {
      for (const v of ADDRESSES) {
        it(v.id, async (ctx) => {
          const device = await openDevice({ model: target as Target });
          const ms = v.multisig;
          if (ms.pubkeys_order === 'LEXICOGRAPHIC' && !firmwareAtLeast(device.trezor.features, SORTED_MULTISIG_FIRMWARE.one, SORTED_MULTISIG_FIRMWARE.core)) {
            skip(ctx, 'BIP-67 sorting on the device (pubkeys_order) needs Trezor One 1.13.0 / Core 2.8.7');
          }
          const xpubs = (ms.nodes?.length ? ms.nodes : ms.pubkeys.map((p: any) => p.node)).map((n: any) => n.xpub);
          const scriptType = v.script_type === 'SPENDWITNESS' ? 'p2wsh' : v.script_type === 'SPENDP2SHWITNESS' ? 'p2sh-p2wsh' : 'p2sh';
          const address = await getAddress(device.trezor, {
            path: v.address_n,
            coin: v.coin,
            show: v.show_display,
            multisig: { m: ms.m, xpubs, sorted: ms.pubkeys_order === 'LEXICOGRAPHIC', scriptType },
          });
          expect(address).toBe(v.expected.address);
        });
      }
    });

    it('2-of-3 P2WSH: two devices with different seeds sign in turn, @scure/btc-signer finalizes and checks', async () => {
      const coin = getCoin('Testnet');
      const network = btcNetwork(coin);
      // Cosigner A: the suite's device (or the official emulator); B: a VirtualTrezor with another seed.
      const a = await openDevice({ model: target as Target });
      const virtualB = new VirtualTrezor({ mnemonic: SEED_B, autoConfirm: true, model: a.info.family === 1 ? 'T1B1' : 'T2T1' });
      const b = await connect({ transport: virtualB.transport() });
      try {
        const accountA = await getPublicKey(a.trezor, { path: ACCOUNT, coin: 'Testnet', ignoreXpubMagic: true });
        const accountB = await getPublicKey(b, { path: ACCOUNT, coin: 'Testnet', ignoreXpubMagic: true });
        const rootC = HDKey.fromMasterSeed(mnemonicToSeedSync(SEED_C), TPUB);
        const nodeC = rootC.derive(ACCOUNT);
        const accounts = [
          { xpub: accountA.xpub, fingerprint: accountA.rootFingerprint },
          { xpub: accountB.xpub, fingerprint: accountB.rootFingerprint },
          { xpub: nodeC.publicExtendedKey, fingerprint: rootC.fingerprint },
        ];
        expect(new Set(accounts.map((x) => x.fingerprint)).size).toBe(3);
        const keysAt = (chain: number, index: number) =>
          accounts.map((x) => ({ ...x, key: HDKey.fromExtendedKey(x.xpub, TPUB).deriveChild(chain).deriveChild(index).publicKey!, path: [...parsePath(ACCOUNT), chain, index] }));
        const sortedScript = (keys: { key: Uint8Array }[]) => p2ms(2, keys.map((k) => k.key).sort((x, y) => hex.encode(x).localeCompare(hex.encode(y))));
        const receive = keysAt(0, 0);
        const payment = p2wsh(sortedScript(receive), network);

        // The address, shown on device A: sorted by the firmware where it can, else xpubs given in key order.
        const sorts = firmwareAtLeast(a.trezor.features, SORTED_MULTISIG_FIRMWARE.one, SORTED_MULTISIG_FIRMWARE.core);
        const inKeyOrder = [...receive].sort((x, y) => hex.encode(x.key).localeCompare(hex.encode(y.key))).map((x) => x.xpub);
        const shown = await getAddress(a.trezor, {
          path: `${ACCOUNT}/0/0`,
          coin: 'Testnet',
          show: true,
          multisig: sorts ? { m: 2, xpubs: accounts.map((x) => x.xpub), sorted: true } : { m: 2, xpubs: inKeyOrder },
        });
        expect(shown).toBe(payment.address);

        // A previous transaction paying 100 000 sat to it, and a PSBT spending it with multisig change.
        const fundingRaw = RawTx.encode({
          version: 2,
          segwitFlag: false,
          inputs: [{ txid: new Uint8Array(32).fill(0x11), index: 0, finalScriptSig: Uint8Array.of(0x51), sequence: 0xffffffff }],
          outputs: [{ script: payment.script, amount: 100_000n }],
          witnesses: [],
          lockTime: 0,
        });
        const fundingId = hex.encode(sha256(sha256(fundingRaw)).reverse());
        const change = keysAt(1, 0);
        const changePayment = p2wsh(sortedScript(change), network);
        const tx = new Transaction({ version: 2 });
        tx.addInput({
          txid: fundingId,
          index: 0,
          witnessUtxo: { script: payment.script, amount: 100_000n },
          nonWitnessUtxo: fundingRaw,
          witnessScript: payment.witnessScript,
          bip32Derivation: receive.map((k) => [k.key, { fingerprint: k.fingerprint, path: k.path }]),
        });
        tx.addOutput({ script: OutScript.encode({ type: 'wpkh', hash: new Uint8Array(20).fill(7) }), amount: 60_000n });
        tx.addOutput({ script: changePayment.script, amount: 39_000n, witnessScript: changePayment.witnessScript, bip32Derivation: change.map((k) => [k.key, { fingerprint: k.fingerprint, path: k.path }]) });
        const raw = RawPSBTV0.decode(tx.toPSBT(0));
        raw.global.xpub = accounts.map((x) => [decodeXpub(x.xpub), { fingerprint: x.fingerprint, path: parsePath(ACCOUNT) }]) as never;
        const unsigned = RawPSBTV0.encode(raw);

        // Multisig change: the device confirms fewer outputs than when the same output comes
        // without its cosigners' records (then it is a payment to confirm).
        const confirmations = () => a.buttons.filter((x) => x.code === 'ButtonRequest_ConfirmOutput').length;
        const before = confirmations();
        const first = await signPsbt(a.trezor, unsigned, { coin: 'Testnet' });
        const withChange = confirmations() - before;
        expect(first.complete).toBe(false);
        const stripped = RawPSBTV0.decode(unsigned);
        delete stripped.outputs[1]!.witnessScript;
        delete stripped.outputs[1]!.bip32Derivation;
        const again = confirmations();
        await signPsbt(a.trezor, RawPSBTV0.encode(stripped), { coin: 'Testnet' });
        expect(confirmations() - again).toBeGreaterThan(withChange);
        expect(RawPSBTV0.decode(first.psbt).inputs[0]!.partialSig).toHaveLength(1);
        const second = await signPsbt(b, first.psbt, { coin: 'Testnet' });
        expect(second.complete).toBe(true);
        const sigs = RawPSBTV0.decode(second.psbt).inputs[0]!.partialSig!;
        expect(sigs.map(([k]) => hex.encode(k)).sort()).toEqual([receive[0]!.key, receive[1]!.key].map((k) => hex.encode(k)).sort());

        // @scure/btc-signer: its BIP-143 sighash verifies both signatures; its finalizer builds the device's transaction.
        const final = Transaction.fromPSBT(second.psbt);
        const digest = final.preimageWitnessV0(0, payment.witnessScript!, SigHash.ALL, 100_000n);
        for (const [key, sig] of sigs) expect(secp256k1.verify(sig.subarray(0, -1), digest, key, { prehash: false, format: 'der' })).toBe(true);
        final.finalize();
        expect(final.hex).toBe(hex.encode(second.tx));
        expect(final.id).toBe(second.txid);
        // The device B's own result finalized by signPsbt gives the same transaction.
        const finalized = await signPsbt(b, first.psbt, { coin: 'Testnet', finalize: true });
        expect(finalized.complete).toBe(true);
        expect(hex.encode(Transaction.fromPSBT(finalized.psbt).extract())).toBe(final.hex);
      } finally {
        await b.close().catch(() => undefined);
        await virtualB.close();
      }
    });
  });
}
