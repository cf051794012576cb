// Device suite, Bitcoin replacement (RBF) and OP_RETURN: the firmware's own vectors of
// test_signtx_replacement.py and test_op_return.py (test/fixtures/vectors/btc-complete.json)
// signed through signPsbt with the originals as origTxs, byte for byte; the orig_hash /
// orig_index the library found on its own held against the ones the firmware's test sends; and
// bumpFee → signPsbt and createPsbt with OP_RETURN round trips on regtest UTXOs, checked with
// @scure/btc-signer.
//
// The PayJoin vectors carry an input of another party (EXTERNAL, presigned), which
// test/support/btc-vector-psbt.ts writes as a finalized PSBT input.
//
// Skips, each with its reason printed: taproot vectors on firmware before 1.10.4 / 2.4.3 (the
// Model T 2.4.1 emulator), and vectors the firmware's test does not run on the Trezor One (the
// PayJoin ones, legacy/v1.14.1).
import { hex } from '@scure/base';
import { OutScript, Transaction } from '@scure/btc-signer';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { bumpFee, createPsbt, getAddress, getPublicKey, signPsbt, type ScriptType } from '../../src/bitcoin/index.js';
import type { TxInput, TxOutput } from '../../src/messages/index.js';
import type { CallFn, Trezor } from '../../src/session/trezor.js';
import { fundingTx } from '../support/bitcoin-wallet.js';
import { signTxVectors, vectorOrigTxs, vectorPsbt, type Vector } from '../support/btc-vector-psbt.js';
import { closeAll, openDevice, requireFeature, targets, type DeviceUnderTest, type FeatureNeed, type Target } from './harness.js';

const EMULATOR = Boolean(process.env.TREZOR_EMULATOR);
const VECTORS = signTxVectors().filter((v: Vector) => v.needs.includes('replacement') || v.needs.includes('op_return'));

afterEach(closeAll);

async function open(ctx: TestContext, target: Target, needs: FeatureNeed[] = []): Promise<DeviceUnderTest> {
  const device = await openDevice({ model: target });
  for (const need of needs) requireFeature(ctx, device.trezor.features, need);
  if (EMULATOR) await device.trezor.typedCall('ApplySettings', { safety_checks: 'PromptTemporarily' }, 'Success');
  return device;
}

function skip(ctx: TestContext, reason: string): void {
  console.log(`[skip] ${ctx.task.fullTestName ?? ctx.task.name}: ${reason}`);
  ctx.skip(reason);
}

/** Every TxInput / TxOutput signPsbt sends, in order. */
function sentMessages(trezor: Trezor): { inputs: TxInput[]; outputs: TxOutput[] } {
  const sent = { inputs: [] as TxInput[], outputs: [] as TxOutput[] };
  const exclusive = trezor.exclusive.bind(trezor);
  trezor.exclusive = ((flow: (call: CallFn) => Promise<unknown>) =>
    exclusive((call) =>
      flow(((name, message, options) => {
        if (name === 'TxAckInput') sent.inputs.push((message as { tx: { input: TxInput } }).tx.input);
        if (name === 'TxAckOutput') sent.outputs.push((message as { tx: { output: TxOutput } }).tx.output);
        return call(name, message, options);
      }) as CallFn),
    )) as typeof trezor.exclusive;
  return sent;
}

/** The distinct orig links of the messages that carry one, in the order first sent. */
function links(messages: { orig_hash?: Uint8Array; orig_index?: number }[]): string[] {
  const seen = new Set<string>();
  for (const m of messages) if (m.orig_hash) seen.add(`${hex.encode(m.orig_hash)}:${m.orig_index}`);
  return [...seen];
}

/** Regtest UTXOs of the SLIP-14 wallet, each in its own funding transaction. */
function regtestUtxos(paths: { path: string; type: ScriptType; amount: bigint }[]) {
  return paths.map(({ path, type, amount }, i) => {
    const { raw, txid } = fundingTx(path, type, amount, i % 2, 700 + i);
    return { txid, vout: i % 2, amount, path, prevTx: raw };
  });
}

for (const target of targets()) {
  describe(`Bitcoin replacement and OP_RETURN on ${target}`, () => {
    for (const v of VECTORS) {
      it(v.id.slice(0, 120), async (ctx) => {
        const taproot = v.inputs.some((i: Vector) => i.script_type === 'SPENDTAPROOT');
        const replacement = Boolean(v.orig_txs);
        const device = await open(ctx, target, [...(taproot ? ['taproot' as const] : []), ...(replacement ? ['replacement' as const] : [])]);
        if (device.info.family === 1 && !v.firmware.t1) skip(ctx, 'the firmware\'s own test does not run this vector on the Trezor One (legacy/v1.14.1)');
        const originals = vectorOrigTxs(v);
        for (const o of originals) expect(Transaction.fromRaw(o.raw, { allowUnknownOutputs: true }).id).toBe(o.txid);
        const sent = sentMessages(device.trezor);
        const result = await signPsbt(device.trezor, vectorPsbt(v), {
          coin: v.coin,
          ...(replacement ? { origTxs: originals.map((o) => o.origTx) } : {}),
        });
        expect(hex.encode(result.tx)).toBe(v.expected.serialized_tx);
        if (v.expected.txid) expect(result.txid).toBe(v.expected.txid);
        // The links the library found are the ones the firmware's test sends.
        const linked = (list: Vector[]) => list.filter((x) => x.orig_hash).map((x) => `${x.orig_hash}:${x.orig_index}`);
        expect(links(sent.inputs)).toEqual(linked(v.inputs));
        expect(links(sent.outputs)).toEqual(linked(v.outputs));
        if (v.needs.includes('op_return')) {
          const data = v.outputs.filter((o: Vector) => o.op_return_data !== undefined).map((o: Vector) => o.op_return_data);
          const sentData = sent.outputs.filter((o) => o.script_type === 'PAYTOOPRETURN' && !o.orig_hash);
          expect(new Set(sentData.map((o) => hex.encode(o.op_return_data!)))).toEqual(new Set(data));
        }
      });
    }

    it('createPsbt with an OP_RETURN output → signPsbt', async (ctx) => {
      const { trezor } = await open(ctx, target);
      const account = await getPublicKey(trezor, { path: "m/84'/1'/0'", coin: 'Regtest' });
      const psbt = createPsbt({
        coin: 'Regtest',
        account: { xpub: account.xpub, path: account.path, rootFingerprint: account.rootFingerprint! },
        utxos: regtestUtxos([{ path: "m/84'/1'/0'/0/0", type: 'p2wpkh', amount: 60_000n }]),
        outputs: [{ address: await getAddress(trezor, { path: "m/84'/1'/3'/0/0", coin: 'Regtest' }), amount: 20_000n }, { opReturn: 'deadbeef' }],
        feeRate: 2,
        change: { path: "m/84'/1'/0'/1/0" },
      });
      const result = await signPsbt(trezor, psbt, { coin: 'Regtest' });
      const signed = Transaction.fromPSBT(result.psbt, { allowUnknownOutputs: true });
      signed.finalize();
      expect(hex.encode(signed.extract())).toBe(hex.encode(result.tx));
      const tx = Transaction.fromRaw(result.tx, { allowUnknownOutputs: true });
      expect(hex.encode(tx.getOutput(1).script!)).toBe('6a04deadbeef');
      expect(tx.getOutput(1).amount).toBe(0n);
    });

    it('bumpFee of a signed transaction → signPsbt with origTxs', async (ctx) => {
      const device = await open(ctx, target, ['replacement']);
      const { trezor } = device;
      const key = await getPublicKey(trezor, { path: "m/84'/1'/0'", coin: 'Regtest' });
      const account = { xpub: key.xpub, path: key.path, rootFingerprint: key.rootFingerprint! };
      const utxos = regtestUtxos([
        { path: "m/84'/1'/0'/0/0", type: 'p2wpkh', amount: 70_000n },
        { path: "m/84'/1'/0'/0/1", type: 'p2wpkh', amount: 50_000n },
      ]);
      const recipient = await getAddress(trezor, { path: "m/84'/1'/3'/0/0", coin: 'Regtest' });
      const change = { path: "m/84'/1'/0'/1/2" };
      const original = await signPsbt(
        trezor,
        createPsbt({ coin: 'Regtest', account, utxos, outputs: [{ address: recipient, amount: 100_000n }], feeRate: 1, change, strategy: 'all' }),
        { coin: 'Regtest' },
      );
      const bump = bumpFee({ coin: 'Regtest', account, tx: original.tx, utxos, change, feeRate: 5 });
      expect(bump.fee).toBeGreaterThan(bump.originalFee);
      const buttons = device.buttons.length;
      const result = await signPsbt(trezor, bump.psbt, { coin: 'Regtest', origTxs: [original.tx] });
      expect(device.buttons.length).toBeGreaterThan(buttons);
      const signed = Transaction.fromPSBT(result.psbt);
      signed.finalize();
      expect(hex.encode(signed.extract())).toBe(hex.encode(result.tx));
      const before = Transaction.fromRaw(original.tx);
      const after = Transaction.fromRaw(result.tx);
      // Same inputs and payment; the change paid the fee increase.
      expect(after.inputsLength).toBe(before.inputsLength);
      for (let i = 0; i < after.inputsLength; i++) {
        expect(hex.encode(after.getInput(i).txid!)).toBe(hex.encode(before.getInput(i).txid!));
        expect(after.getInput(i).sequence).toBe(0xfffffffd);
      }
      expect(hex.encode(after.getOutput(0).script!)).toBe(hex.encode(OutScript.encode(OutScript.decode(before.getOutput(0).script!))));
      expect(after.getOutput(0).amount).toBe(100_000n);
      expect(before.getOutput(1).amount! - after.getOutput(1).amount!).toBe(bump.fee - bump.originalFee);
      expect(after.vsize * 5).toBeLessThanOrEqual(Number(bump.fee));
    });

    it('one replacement of two originals (their payments merged, their change dropped) on Core firmware', async (ctx) => {
      const device = await open(ctx, target, ['replacement']);
      // The firmware of the Trezor One keeps one original (legacy/firmware/signing.c orig_hash);
      // Core keeps a list (core bitcoin.py orig_txs). The VirtualTrezor takes one on every model.
      if (device.info.family === 1) skip(ctx, 'the Trezor One firmware replaces one original transaction at a time');
      if (device.virtual) skip(ctx, 'the VirtualTrezor takes one original transaction at a time (Core takes several): emulator only');
      const { trezor } = device;
      const key = await getPublicKey(trezor, { path: "m/84'/1'/0'", coin: 'Regtest' });
      const account = { xpub: key.xpub, path: key.path, rootFingerprint: key.rootFingerprint! };
      const [a, b] = regtestUtxos([
        { path: "m/84'/1'/0'/0/0", type: 'p2wpkh', amount: 70_000n },
        { path: "m/84'/1'/0'/0/1", type: 'p2wpkh', amount: 50_000n },
      ]);
      const pay = [
        { address: await getAddress(trezor, { path: "m/84'/1'/3'/0/0", coin: 'Regtest' }), amount: 30_000n },
        { address: await getAddress(trezor, { path: "m/84'/1'/3'/0/1", coin: 'Regtest' }), amount: 20_000n },
      ];
      const sign = (psbt: Uint8Array) => signPsbt(trezor, psbt, { coin: 'Regtest' });
      const txA = (await sign(createPsbt({ coin: 'Regtest', account, utxos: [a!], outputs: [pay[0]!], feeRate: 1, change: { path: "m/84'/1'/0'/1/3" } }))).tx;
      const txB = (await sign(createPsbt({ coin: 'Regtest', account, utxos: [b!], outputs: [pay[1]!], feeRate: 1, change: { path: "m/84'/1'/0'/1/4" } }))).tx;
      const merged = createPsbt({ coin: 'Regtest', account, utxos: [a!, b!], outputs: pay, feeRate: 5, change: { path: "m/84'/1'/0'/1/5" }, strategy: 'all' });
      const sent = sentMessages(trezor);
      const result = await signPsbt(trezor, merged, {
        coin: 'Regtest',
        origTxs: [
          { tx: txA, changePaths: { 1: "m/84'/1'/0'/1/3" } },
          { tx: txB, changePaths: { 1: "m/84'/1'/0'/1/4" } },
        ],
      });
      const ids = [txA, txB].map((t) => Transaction.fromRaw(t).id);
      expect(links(sent.inputs)).toEqual([`${ids[0]}:0`, `${ids[1]}:0`]);
      expect(links(sent.outputs)).toEqual([`${ids[0]}:0`, `${ids[1]}:0`]);
      const signed = Transaction.fromPSBT(result.psbt);
      signed.finalize();
      expect(hex.encode(signed.extract())).toBe(hex.encode(result.tx));
    });
  });
}
