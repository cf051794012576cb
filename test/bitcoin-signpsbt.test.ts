// signPsbt on the host: what it refuses before the device is touched, its signature hashes
// against @scure/btc-signer's own (legacy, BIP-143, BIP-341), and the PSBT forms it takes,
// end to end against an in-memory VirtualTrezor that signs on its own (autoConfirm).
import { base64, hex } from '@scure/base';
import { SigHash, Transaction, p2pkh, p2tr, p2wpkh } from '@scure/btc-signer';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createPsbt, signPsbt, type SignPsbtProgress } from '../src/bitcoin/index.js';
import { COINS } from '../src/bitcoin/coins.js';
import { Sighasher } from '../src/bitcoin/sighash.js';
import { isTrezorError } from '../src/errors.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { bitcoinHandlers } from '../src/testing/virtual/handlers/bitcoin.js';
import { MNEMONIC, accountKey, fundingTx, publicKeyAt } from './support/bitcoin-wallet.js';

const regtest = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const RECIPIENT = p2wpkh(publicKeyAt("m/84'/1'/7'/0/0"), regtest).address!;

/** A Trezor stand-in that fails the test if signPsbt reaches the device. */
const untouchable = {
  features: { major_version: 1, minor_version: 14, patch_version: 1 },
  exclusive: () => {
    throw new Error('the device was contacted');
  },
} as unknown as Trezor;

function psbtFor(paths: { path: string; type: 'p2wpkh' | 'p2pkh' | 'p2tr' | 'p2sh-p2wpkh' }[]): Uint8Array {
  const accounts = [...new Set(paths.map(({ path }) => path.split('/').slice(0, 4).join('/')))].map((p) =>
    accountKey(p, COINS.Regtest),
  );
  const utxos = paths.map(({ path, type }, i) => {
    const { raw, txid } = fundingTx(path, type, 60_000n + BigInt(i), 0, 100 + i);
    return { txid, vout: 0, amount: 60_000n + BigInt(i), path, prevTx: raw };
  });
  return createPsbt({
    coin: 'Regtest',
    account: accounts,
    utxos,
    outputs: [{ address: RECIPIENT, amount: 50_000n }],
    feeRate: 1,
    change: { path: paths[0]!.path.replace(/\/0\/(\d+)$/, '/1/0') },
    strategy: 'all',
  });
}

async function rejected(psbt: Uint8Array | Transaction, field: string): Promise<void> {
  try {
    await signPsbt(untouchable, psbt, { coin: 'Regtest' });
  } catch (e) {
    expect(isTrezorError(e, 'InvalidParameters')).toBe(true);
    expect((e as { field?: string }).field).toBe(field);
    return;
  }
  throw new Error(`expected InvalidParameters for ${field}`);
}

describe('signPsbt refuses before touching the device', () => {
  const good = () => Transaction.fromPSBT(psbtFor([{ path: "m/84'/1'/0'/0/0", type: 'p2wpkh' }]));

  it('a PSBT that is not one', async () => {
    await rejected(new Uint8Array([1, 2, 3]), 'psbt');
  });

  it('an input without its derivation', async () => {
    const tx = good();
    const input = tx.getInput(0);
    const bare = new Transaction({ version: tx.version });
    bare.addInput({ txid: input.txid!, index: input.index!, witnessUtxo: input.witnessUtxo, nonWitnessUtxo: input.nonWitnessUtxo });
    bare.addOutput(tx.getOutput(0) as never);
    await rejected(bare, 'psbt.inputs[0].bip32Derivation');
  });

  it('an input without its previous transaction', async () => {
    const tx = good();
    const input = tx.getInput(0);
    const stripped = new Transaction({ version: tx.version, lockTime: tx.lockTime });
    stripped.addInput({ txid: input.txid!, index: input.index!, sequence: input.sequence, witnessUtxo: input.witnessUtxo, bip32Derivation: input.bip32Derivation });
    for (let i = 0; i < tx.outputsLength; i++) stripped.addOutput(tx.getOutput(i) as never);
    await rejected(stripped, 'psbt.inputs[0].nonWitnessUtxo');
  });

  it('an input without an amount', async () => {
    const tx = good();
    const input = tx.getInput(0);
    const bare = new Transaction({ version: tx.version });
    bare.addInput({ txid: input.txid!, index: input.index!, bip32Derivation: input.bip32Derivation });
    bare.addOutput(tx.getOutput(0) as never);
    await rejected(bare, 'psbt.inputs[0].witnessUtxo');
  });

  it('a key that does not own the spent output', async () => {
    const tx = good();
    const other = publicKeyAt("m/84'/1'/0'/0/9");
    const [[, der]] = tx.getInput(0).bip32Derivation! as [Uint8Array, { fingerprint: number; path: number[] }][];
    tx.updateInput(0, { bip32Derivation: [[other, der!]] }, true);
    await rejected(tx, 'psbt.inputs[0].bip32Derivation');
  });

  it('a sighash type the device does not sign', async () => {
    const tx = good();
    tx.updateInput(0, { sighashType: SigHash.NONE }, true);
    await rejected(tx, 'psbt.inputs[0].sighashType');
  });
});

describe('signPsbt refuses key paths of another coin (the firmware would answer Forbidden key path)', () => {
  async function refusal(psbt: Uint8Array, coin: 'Bitcoin' | 'Testnet' | 'Regtest' | 'Litecoin', trezor = untouchable): Promise<{ field?: string; message: string; code: string }> {
    try {
      await signPsbt(trezor, psbt, { coin });
    } catch (e) {
      return e as { field?: string; message: string; code: string };
    }
    throw new Error('expected a rejection');
  }

  it('a mainnet PSBT (m/84h/0h) signed as Testnet names the input, the path and both coins', async () => {
    const mainnet = psbtFor([{ path: "m/84'/0'/0'/0/0", type: 'p2wpkh' }]);
    const error = await refusal(mainnet, 'Testnet');
    expect(error).toMatchObject({ code: 'InvalidParameters', field: 'psbt.inputs[0].bip32Derivation' });
    expect(error.message).toContain("m/84'/0'/0'/0/0 has coin type 0' (Bitcoin), not 1' (Testnet)");
    // The same PSBT as Bitcoin passes the host's checks and goes to the device.
    expect((await refusal(mainnet, 'Bitcoin')).message).toBe('the device was contacted');
  });

  it('Testnet and Regtest share coin type 1h; Litecoin (2h) and taproot paths are checked too', async () => {
    const testnet = psbtFor([{ path: "m/84'/1'/0'/0/0", type: 'p2wpkh' }]);
    expect((await refusal(testnet, 'Testnet')).message).toBe('the device was contacted');
    expect((await refusal(testnet, 'Regtest')).message).toBe('the device was contacted');
    expect(await refusal(testnet, 'Bitcoin')).toMatchObject({ code: 'InvalidParameters', field: 'psbt.inputs[0].bip32Derivation' });
    const litecoin = psbtFor([{ path: "m/49'/2'/0'/0/0", type: 'p2sh-p2wpkh' }]);
    const error = await refusal(litecoin, 'Bitcoin');
    expect(error).toMatchObject({ code: 'InvalidParameters', field: 'psbt.inputs[0].bip32Derivation' });
    expect(error.message).toContain("coin type 2' (Litecoin), not 0' (Bitcoin)");
    const taproot = psbtFor([{ path: "m/86'/0'/0'/0/0", type: 'p2tr' }]);
    expect(await refusal(taproot, 'Regtest')).toMatchObject({ code: 'InvalidParameters', field: 'psbt.inputs[0].tapBip32Derivation' });
  });

  it('a change output on another coin path names the output', async () => {
    const input = "m/84'/1'/0'/0/0";
    const { raw, txid } = fundingTx(input, 'p2wpkh', 90_000n);
    const psbt = createPsbt({
      coin: 'Regtest',
      account: [accountKey("m/84'/1'/0'", COINS.Regtest), accountKey("m/84'/0'/0'", COINS.Regtest)],
      utxos: [{ txid, vout: 0, amount: 90_000n, path: input, prevTx: raw }],
      outputs: [{ address: RECIPIENT, amount: 50_000n }],
      feeRate: 1,
      change: { path: "m/84'/0'/0'/1/0" },
    });
    const tx = Transaction.fromPSBT(psbt);
    const changeIndex = [...Array(tx.outputsLength).keys()].find((i) => tx.getOutput(i).bip32Derivation?.length)!;
    const error = await refusal(psbt, 'Regtest');
    expect(error).toMatchObject({ code: 'InvalidParameters', field: `psbt.outputs[${changeIndex}].bip32Derivation` });
    expect(error.message).toContain("m/84'/0'/0'/1/0 has coin type 0' (Bitcoin), not 1' (Regtest)");
  });

  it('with relaxed safety checks the device decides (it asks the user, then signs)', async () => {
    for (const model of ['T1B1', 'T2T1'] as const) {
      const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model, autoConfirm: true });
      const trezor = await connect({ transport: virtual.transport(), ui: {} });
      try {
        const buttons: (string | undefined)[] = [];
        trezor.on('button', ({ code }) => buttons.push(code));
        const mainnet = psbtFor([{ path: "m/84'/0'/0'/0/0", type: 'p2wpkh' }]);
        // Strict (the default): refused on the host, so the device shows nothing.
        expect(await refusal(mainnet, 'Testnet', trezor)).toMatchObject({ code: 'InvalidParameters', field: 'psbt.inputs[0].bip32Derivation' });
        expect(buttons).toEqual([]);
        await trezor.typedCall('ApplySettings', { safety_checks: 'PromptTemporarily' }, 'Success');
        await trezor.getFeatures();
        expect(trezor.features.safety_checks).toBe('PromptTemporarily');
        buttons.length = 0;
        const signed = await signPsbt(trezor, mainnet, { coin: 'Testnet' });
        expect(signed.txid).toMatch(/^[0-9a-f]{64}$/);
        // The firmware's "Wrong address path for selected coin" screen (legacy fsm_layoutPathWarning).
        expect(buttons, model).toContain('ButtonRequest_UnknownDerivationPath');
      } finally {
        await trezor.close();
        await virtual.close();
      }
    }
  });
});

describe('Sighasher', () => {
  it('equals @scure/btc-signer for legacy, segwit v0 and taproot inputs', () => {
    const keys = [0, 1, 2, 3].map((i) => publicKeyAt(`m/84'/1'/0'/0/${i}`));
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom('pkh', 'wpkh', 'tr'), amount: fc.bigInt(1000n, 10n ** 10n), sequence: fc.nat(), index: fc.nat(5) }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.bigInt(0n, 10n ** 9n), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (ins, outs, lockTime) => {
          const tx = new Transaction({ version: 2, lockTime, allowLegacyWitnessUtxo: true });
          const scripts = ins.map((inp, i) => {
            const key = keys[i % keys.length]!;
            return inp.kind === 'pkh' ? p2pkh(key).script : inp.kind === 'wpkh' ? p2wpkh(key).script : p2tr(key.slice(1)).script;
          });
          ins.forEach((inp, i) =>
            tx.addInput({ txid: new Uint8Array(32).fill(i + 1), index: inp.index, sequence: inp.sequence, witnessUtxo: { amount: inp.amount, script: scripts[i]! } }),
          );
          outs.forEach((amount, i) => tx.addOutput({ script: p2wpkh(keys[i % keys.length]!).script, amount }));
          const hasher = new Sighasher({
            version: 2,
            lockTime,
            inputs: ins.map((inp, i) => ({ txid: new Uint8Array(32).fill(i + 1).reverse(), index: inp.index, sequence: inp.sequence, amount: inp.amount, script: scripts[i]! })),
            outputs: outs.map((amount, i) => ({ amount, script: p2wpkh(keys[i % keys.length]!).script })),
          });
          ins.forEach((inp, i) => {
            const key = keys[i % keys.length]!;
            if (inp.kind === 'tr') {
              expect(hex.encode(hasher.bip341(i))).toBe(hex.encode(tx.preimageWitnessV1(i, scripts, SigHash.DEFAULT, ins.map((x) => x.amount))));
            } else if (inp.kind === 'wpkh') {
              expect(hex.encode(hasher.bip143(i, p2pkh(key).script))).toBe(hex.encode(tx.preimageWitnessV0(i, p2pkh(key).script, SigHash.ALL, inp.amount)));
            } else {
              const legacy = (tx as unknown as { preimageLegacy(i: number, s: Uint8Array, h: number): Uint8Array }).preimageLegacy(i, scripts[i]!, SigHash.ALL);
              expect(hex.encode(hasher.legacy(i, scripts[i]!))).toBe(hex.encode(legacy));
            }
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('signPsbt against an in-memory VirtualTrezor', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function device(): Promise<Trezor> {
    const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', autoConfirm: true, handlers: [bitcoinHandlers] });
    const trezor = await connect({ transport: virtual.transport(), ui: {} });
    close = async () => {
      await trezor.close();
      await virtual.close();
    };
    return trezor;
  }

  it('takes bytes, base64, a Transaction and PSBTv2, and reports progress', async () => {
    const trezor = await device();
    const psbt = psbtFor([
      { path: "m/84'/1'/0'/0/0", type: 'p2wpkh' },
      { path: "m/84'/1'/0'/0/1", type: 'p2wpkh' },
    ]);
    const progress: SignPsbtProgress[] = [];
    const fromBytes = await signPsbt(trezor, psbt, { coin: 'Regtest', onProgress: (p) => progress.push(p) });
    const fromBase64 = await signPsbt(trezor, base64.encode(psbt), { coin: 'Regtest' });
    const fromTx = await signPsbt(trezor, Transaction.fromPSBT(psbt), { coin: 'Regtest' });
    const fromV2 = await signPsbt(trezor, Transaction.fromPSBT(psbt).toPSBT(2), { coin: 'Regtest' });
    expect(hex.encode(fromBase64.tx)).toBe(hex.encode(fromBytes.tx));
    expect(hex.encode(fromTx.tx)).toBe(hex.encode(fromBytes.tx));
    expect(hex.encode(fromV2.tx)).toBe(hex.encode(fromBytes.tx));
    const finalV2 = Transaction.fromPSBT(fromV2.psbt);
    finalV2.finalize();
    expect(hex.encode(finalV2.extract())).toBe(hex.encode(fromBytes.tx));
    const final = Transaction.fromPSBT(fromBytes.psbt);
    final.finalize();
    expect(hex.encode(final.extract())).toBe(hex.encode(fromBytes.tx));
    expect(final.id).toBe(fromBytes.txid);
    expect(new Set(progress.map((p) => p.phase))).toEqual(new Set(['input', 'output', 'previousTransaction', 'signature']));
    expect(progress.filter((p) => p.phase === 'signature').map((p) => p.index)).toEqual([0, 1]);
  });
});
