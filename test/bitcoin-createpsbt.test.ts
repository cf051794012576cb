// createPsbt: coin selection, fee, change and the derivation records a signer needs, and the
// InvalidParameters it raises (naming the field) for what cannot become a valid transaction.
import { hex } from '@scure/base';
import { Address, OutScript, Transaction, p2wpkh } from '@scure/btc-signer';
import { describe, expect, it } from 'vitest';
import { createPsbt, dustThreshold, type Utxo } from '../src/bitcoin/index.js';
import { COINS } from '../src/bitcoin/coins.js';
import { isTrezorError } from '../src/errors.js';
import { parsePath } from '../src/path.js';
import { ROOT_FINGERPRINT, accountKey, fundingTx, publicKeyAt } from './support/bitcoin-wallet.js';

const regtest = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const ACCOUNT = accountKey("m/84'/1'/0'", COINS.Regtest, 'p2wpkh');
const RECIPIENT = p2wpkh(publicKeyAt("m/84'/1'/7'/0/0"), regtest).address!;

function utxo(index: number, amount: bigint, type: 'p2wpkh' | 'p2tr' | 'p2pkh' | 'p2sh-p2wpkh' = 'p2wpkh', purpose = 84): Utxo {
  const path = `m/${purpose}'/1'/0'/0/${index}`;
  const { raw, txid } = fundingTx(path, type, amount, index % 3, index);
  return { txid, vout: index % 3, amount, path, prevTx: raw };
}

function expectInvalid(run: () => unknown, field: string): void {
  try {
    run();
  } catch (e) {
    expect(isTrezorError(e, 'InvalidParameters')).toBe(true);
    expect((e as { field?: string }).field).toBe(field);
    return;
  }
  throw new Error(`expected InvalidParameters for ${field}`);
}

const base = {
  coin: 'Regtest' as const,
  account: ACCOUNT,
  utxos: [utxo(0, 100_000n), utxo(1, 250_000n), utxo(2, 40_000n)],
  outputs: [{ address: RECIPIENT, amount: 120_000n }],
  feeRate: 2,
  change: { path: "m/84'/1'/0'/1/0" },
};

describe('createPsbt', () => {
  it('a value JSON cannot print (a bigint address, a bigint coin) is InvalidParameters, not a TypeError', () => {
    expectInvalid(() => createPsbt({ ...base, outputs: [{ address: 5n as never, amount: 120_000n }] }), 'outputs[0].address');
    expectInvalid(() => createPsbt({ ...base, coin: 5n as never }), 'coin');
    expectInvalid(() => createPsbt({ ...base, change: { path: "m/84'/1'/0'/1/0", scriptType: 5n as never } }), 'change.scriptType');
  });

  it('selects UTXOs, prices the fee and adds change with its derivation', () => {
    const tx = Transaction.fromPSBT(createPsbt(base));
    expect(tx.outputsLength).toBe(2);
    const pay = tx.getOutput(0);
    expect(Address(regtest).encode(OutScript.decode(pay.script!))).toBe(RECIPIENT);
    expect(pay.amount).toBe(120_000n);
    const change = tx.getOutput(1);
    expect(change.bip32Derivation?.[0]?.[1]).toEqual({ fingerprint: ROOT_FINGERPRINT, path: parsePath("m/84'/1'/0'/1/0") });
    expect(hex.encode(change.script!)).toBe(hex.encode(p2wpkh(publicKeyAt("m/84'/1'/0'/1/0")).script));
    let total = 0n;
    for (let i = 0; i < tx.inputsLength; i++) {
      const input = tx.getInput(i);
      expect(input.nonWitnessUtxo).toBeDefined();
      expect(input.witnessUtxo).toBeDefined();
      expect(input.sequence).toBe(0xfffffffd);
      expect(input.bip32Derivation?.[0]?.[1].fingerprint).toBe(ROOT_FINGERPRINT);
      total += input.witnessUtxo!.amount;
    }
    const fee = total - 120_000n - change.amount!;
    // Signed p2wpkh inputs weigh at most 68 vB each; the fee must cover the estimate at 2 sat/vB.
    const vsize = 11 + 31 * 2 + 68 * tx.inputsLength;
    expect(fee).toBeGreaterThanOrEqual(BigInt(2 * (vsize - tx.inputsLength)));
    expect(fee).toBeLessThanOrEqual(BigInt(2 * vsize + 2));
  });

  it('drops a change below dust into the fee', () => {
    const tx = Transaction.fromPSBT(createPsbt({ ...base, utxos: [utxo(0, 100_000n)], outputs: [{ address: RECIPIENT, amount: 99_500n }], feeRate: 1 }));
    expect(tx.outputsLength).toBe(1);
    expect(tx.fee).toBe(500n);
  });

  it('writes taproot derivations and skips previous transactions when every input is taproot', () => {
    const account = accountKey("m/86'/1'/0'", COINS.Regtest, 'p2tr');
    const path = "m/86'/1'/0'/0/0";
    const { txid } = fundingTx(path, 'p2tr', 50_000n, 0, 9);
    const psbt = createPsbt({
      coin: 'Regtest',
      account,
      utxos: [{ txid, vout: 0, amount: 50_000n, path }],
      outputs: [{ address: RECIPIENT, amount: 20_000n }],
      feeRate: 1,
      change: { path: "m/86'/1'/0'/1/0" },
    });
    const tx = Transaction.fromPSBT(psbt);
    const input = tx.getInput(0);
    expect(input.nonWitnessUtxo).toBeUndefined();
    expect(input.tapInternalKey).toEqual(publicKeyAt(path).slice(1));
    expect(input.tapBip32Derivation?.[0]?.[1].der.path).toEqual(parsePath(path));
    expect(tx.getOutput(1).tapBip32Derivation?.[0]?.[1].der.fingerprint).toBe(ROOT_FINGERPRINT);
  });

  it('carries an OP_RETURN output', () => {
    const tx = Transaction.fromPSBT(createPsbt({ ...base, outputs: [...base.outputs, { opReturn: '68656c6c6f' }] }));
    expect(hex.encode(tx.getOutput(1).script!)).toBe('6a0568656c6c6f');
    expect(tx.getOutput(1).amount).toBe(0n);
  });

  it('needs the previous transaction of a taproot input spent with a non-taproot one', () => {
    const taproot = accountKey("m/86'/1'/0'", COINS.Regtest, 'p2tr');
    const path = "m/86'/1'/0'/0/1";
    const { txid } = fundingTx(path, 'p2tr', 500_000n, 0, 11);
    expectInvalid(
      () =>
        createPsbt({
          ...base,
          account: [ACCOUNT, taproot],
          utxos: [utxo(0, 10_000n), { txid, vout: 0, amount: 500_000n, path }],
          outputs: [{ address: RECIPIENT, amount: 505_000n }],
          strategy: 'all',
        }),
      'utxos[1].prevTx',
    );
  });

  it('names the field of every impossible request', () => {
    expectInvalid(() => createPsbt({ ...base, outputs: [{ address: RECIPIENT, amount: 293n }] }), 'outputs[0].amount');
    expectInvalid(() => createPsbt({ ...base, outputs: [{ address: 'bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk', amount: 10_000n }] }), 'outputs[0].address');
    expectInvalid(() => createPsbt({ ...base, outputs: [{ address: RECIPIENT, amount: 1_000_000n }] }), 'utxos');
    expectInvalid(() => createPsbt({ ...base, feeRate: -1 }), 'feeRate');
    expectInvalid(() => createPsbt({ ...base, coin: 'Dogecoin' as never }), 'coin');
    const [first] = base.utxos;
    expectInvalid(() => createPsbt({ ...base, utxos: [{ ...first!, prevTx: undefined }] }), 'utxos[0].prevTx');
    expectInvalid(() => createPsbt({ ...base, utxos: [{ ...first!, amount: 99_999n }] }), 'utxos[0].amount');
    expectInvalid(() => createPsbt({ ...base, utxos: [{ ...first!, txid: '00'.repeat(32) }] }), 'utxos[0].prevTx');
    expectInvalid(() => createPsbt({ ...base, utxos: [{ ...first!, path: "m/84'/1'/0'/0/5" }] }), 'utxos[0].path');
    expectInvalid(() => createPsbt({ ...base, utxos: [{ ...first!, path: "m/84'/1'/3'/0/0" }] }), 'utxos[0].path');
    expectInvalid(() => createPsbt({ ...base, utxos: [first!, first!] }), 'utxos[1]');
    expectInvalid(() => createPsbt({ ...base, change: { path: "m/84'/1'/1'/1/0" } }), 'change.path');
    expectInvalid(() => createPsbt({ ...base, account: { ...ACCOUNT, rootFingerprint: -1 } }), 'account.rootFingerprint');
  });
});

describe('dustThreshold', () => {
  it('follows Bitcoin Core at 3 sat/vB', () => {
    const key = publicKeyAt("m/84'/1'/0'/0/0");
    expect(dustThreshold(p2wpkh(key).script)).toBe(294n);
    expect(dustThreshold(OutScript.encode({ type: 'pkh', hash: new Uint8Array(20) }))).toBe(546n);
    expect(dustThreshold(OutScript.encode({ type: 'sh', hash: new Uint8Array(20) }))).toBe(540n);
    expect(dustThreshold(OutScript.encode({ type: 'tr', pubkey: key.slice(1) }))).toBe(330n);
    expect(dustThreshold(Uint8Array.of(0x6a, 0x01, 0x00))).toBe(0n);
  });
});
