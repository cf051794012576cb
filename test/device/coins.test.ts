// Device suite, the Bitcoin-family coins (coins-family.ts): Bitcoin Cash, Bitcoin Gold, Dash,
// Dogecoin and Zcash through the library against the device.
//
// - The firmware's own vectors byte for byte: btc-complete.json (test_bcash, test_bgold,
//   test_dash, test_zcash, test_getaddress test_bch, test_signmessage[bcash]) and zcash-v5.json
//   (tests/device_tests/zcash/test_sign_tx.py). PSBTs are built from each vector's inputs,
//   outputs and raw previous transactions; Zcash goes through its own unsigned form.
// - Per coin: the address and the account xpub the device derives equal the host's derivation
//   from the public SLIP-14 seed with the coin constant's version bytes, and a message it signs
//   verifies on the host; createPsbt → signPsbt (and createZcashTransaction →
//   signZcashTransaction) round trips, which the library verifies signature by signature.
//
// Each vector says which firmware runs it (firmware.t1 / firmware.core, source.models_at_tag:
// Bitcoin Gold and Dash are only in the Trezor One and Model T firmware). A test skips, with the
// reason printed, where the connected firmware lacks the coin or the format (Zcash v5 needs Core
// 2.5.1; the VirtualTrezor claiming Model T 2.4.1 refuses them as that firmware does), and where
// the vector needs what is not this module's (multisig, external inputs: other parts of issue 11). A Dash DIP-2 special
// transaction as previous transaction travels in the library's proprietary PSBT field.
import { hex } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import {
  BCASH,
  BCASH_TESTNET,
  BGOLD,
  BGOLD_TESTNET,
  DASH,
  DASH_TESTNET,
  DOGECOIN,
  ZCASH,
  ZCASH_TESTNET,
  createPsbt,
  createZcashTransaction,
  getAddress,
  getPublicKey,
  signMessage,
  signPsbt,
  signZcashTransaction,
  verifyMessage,
  type CoinInfo,
  type ScriptType,
  type ZcashTransaction,
} from '../../src/bitcoin/index.js';
import { keyScript, scriptAddress } from '../../src/bitcoin/address.js';
import { xpubVersionFor } from '../../src/bitcoin/coins.js';
import { sha256d } from '../../src/bitcoin/sighash.js';
import { encodeXpub } from '../../src/bitcoin/xpub.js';
import { modelFamily } from '../../src/models.js';
import type { Features } from '../../src/session/trezor.js';
import { ROOT, accountKey, fundingTx, publicKeyAt } from '../support/bitcoin-wallet.js';
import { vectorPsbt } from '../support/btc-vector-psbt.js';
import { serializePrevTx } from '../support/coin-vectors.js';
import { fixturePath } from '../support/fixtures.js';
import { closeAll, openDevice, targets, type DeviceUnderTest, type Target } from './harness.js';
import { readFileSync } from 'node:fs';

const EMULATOR = Boolean(process.env.TREZOR_EMULATOR);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Vector = any;
const btcComplete = JSON.parse(readFileSync(fixturePath('vectors/btc-complete.json'), 'utf8')) as { vectors: Vector[] };
const zcashV5 = JSON.parse(readFileSync(fixturePath('vectors/zcash-v5.json'), 'utf8')) as { vectors: Vector[] };

const COIN_OF: Record<string, CoinInfo> = { Bcash: BCASH, Bgold: BGOLD, Dash: DASH, Dogecoin: DOGECOIN, 'Zcash Testnet': ZCASH_TESTNET };
const MINE = btcComplete.vectors.filter((v) => COIN_OF[v.coin] && (v.kind !== 'address' || v.id.startsWith('test_getaddress.py::test_bch')));

const INPUT_TYPE: Record<string, ScriptType> = { SPENDADDRESS: 'p2pkh', SPENDP2SHWITNESS: 'p2sh-p2wpkh', SPENDWITNESS: 'p2wpkh' };
/** First Core firmware that signs Zcash v5 (core/CHANGELOG.md 2.5.1). */
const ZCASH_V5_CORE = [2, 5, 1];

afterEach(closeAll);

function version(features: Features): number[] {
  return [features.major_version, features.minor_version, features.patch_version];
}

function below(have: number[], need: number[]): boolean {
  for (let i = 0; i < 3; i++) if (have[i] !== need[i]) return have[i]! < need[i]!;
  return false;
}

function skip(ctx: TestContext, reason: string): never {
  console.log(`[skip] ${ctx.task.name}: ${reason}`);
  ctx.skip(reason);
  throw new Error('unreachable');
}

/** Why this device cannot run a vector of `coin` (needs, model, firmware), if it cannot. */
function cannotRun(device: DeviceUnderTest, coin: CoinInfo, v?: Vector): string | undefined {
  const features = device.trezor.features;
  const one = modelFamily(features) === 1;
  const models: string[] | undefined = v?.source?.models_at_tag;
  if (models && !models.includes(device.model)) return `${coin.name}: the firmware's test runs on ${models.join(', ')} only (the coin is not in the ${device.model} firmware)`;
  if (v?.firmware && !(one ? v.firmware.t1 : v.firmware.core)) return `the vector is not asserted on ${one ? 'the Trezor One (legacy/v1.14.1)' : 'Core'} firmware`;
  if (v?.needs?.includes('zcash_v5') && !one && below(version(features), ZCASH_V5_CORE)) {
    return `Zcash v5 transactions need Core firmware ${ZCASH_V5_CORE.join('.')}, the device runs ${version(features).join('.')}`;
  }
  return undefined;
}

/**
 * Coins left out of a model's firmware: common/defs/support.json at core/v2.8.9 lists BTG, TBTG,
 * DASH and tDASH as unsupported on T2B1 (Safe 3) and T3T1 (Safe 5).
 */
const NOT_IN_FIRMWARE: Record<string, string[]> = { T2B1: ['Bgold', 'Bgold Testnet', 'Dash', 'Dash Testnet'], T3T1: ['Bgold', 'Bgold Testnet', 'Dash', 'Dash Testnet'] };

function lacksCoin(device: DeviceUnderTest, coin: CoinInfo): boolean {
  return NOT_IN_FIRMWARE[device.model]?.includes(coin.name) ?? false;
}

async function open(ctx: TestContext, target: Target, coin: CoinInfo, v?: Vector): Promise<DeviceUnderTest> {
  const device = await openDevice({ model: target });
  const reason = cannotRun(device, coin, v);
  if (reason) skip(ctx, reason);
  if (EMULATOR) await device.trezor.typedCall('ApplySettings', { safety_checks: 'PromptTemporarily' }, 'Success');
  return device;
}

/** The unsigned Zcash form of a signtx vector. */
function vectorZcash(v: Vector): ZcashTransaction {
  const options = v.sign_tx_options;
  return {
    version: options.version,
    versionGroupId: options.version_group_id,
    branchId: options.branch_id,
    ...(options.expiry !== undefined ? { expiry: options.expiry } : {}),
    ...(options.lock_time !== undefined ? { lockTime: options.lock_time } : {}),
    inputs: v.inputs.map((input: Vector) => ({
      txid: input.prev_hash,
      vout: input.prev_index,
      amount: input.amount,
      // Another party's presigned input (EXTERNAL) carries its scripts; the others are the seed's.
      ...(input.script_type === 'EXTERNAL'
        ? { scriptPubKey: input.script_pubkey, scriptSig: input.script_sig }
        : { path: input.address_n, scriptPubKey: hex.encode(keyScript('p2pkh', publicKeyAt(input.address_n)).script) }),
      ...(v.prev_txs?.[input.prev_hash] ? { prevTx: hex.encode(serializePrevTx(v.prev_txs[input.prev_hash])) } : {}),
      ...(input.sequence !== undefined ? { sequence: input.sequence } : {}),
    })),
    outputs: v.outputs.map((o: Vector) => (o.address ? { address: o.address, amount: o.amount } : { path: o.address_n, amount: o.amount })),
  };
}

/** The account xpub the SLIP-14 seed gives at `path` under the coin's version bytes. */
function seedXpub(path: string, coin: CoinInfo, type: ScriptType): string {
  const node = ROOT.derive(path);
  return encodeXpub({
    version: xpubVersionFor(coin, type),
    depth: node.depth,
    parentFingerprint: node.parentFingerprint,
    childNumber: node.index,
    chainCode: node.chainCode!,
    publicKey: node.publicKey!,
  });
}

/** Per coin: an account path and a script type of it (coin type of the coin or, on testnets, 1). */
const ACCOUNTS: [CoinInfo, string, ScriptType][] = [
  [BCASH, "m/44'/145'/0'", 'p2pkh'],
  [BGOLD, "m/49'/156'/0'", 'p2sh-p2wpkh'],
  [BGOLD, "m/84'/156'/0'", 'p2wpkh'],
  [DASH, "m/44'/5'/0'", 'p2pkh'],
  [DOGECOIN, "m/44'/3'/0'", 'p2pkh'],
  [ZCASH_TESTNET, "m/44'/1'/0'", 'p2pkh'],
  [ZCASH, "m/44'/133'/0'", 'p2pkh'],
  [BCASH_TESTNET, "m/44'/1'/0'", 'p2pkh'],
  [BGOLD_TESTNET, "m/84'/1'/0'", 'p2wpkh'],
  [DASH_TESTNET, "m/44'/1'/0'", 'p2pkh'],
];

for (const target of targets()) {
  describe(`Bitcoin-family coins on ${target}`, () => {
    describe('firmware vectors (btc-complete.json, zcash-v5.json)', () => {
      for (const v of [...MINE, ...zcashV5.vectors]) {
        const coin = COIN_OF[v.coin]!;
        it(`${v.coin}: ${v.id}`, async (ctx) => {
          const device = await open(ctx, target, coin, v);
          const { trezor } = device;
          if (v.kind === 'address') {
            // A multisig address (test_bch_multisig) names its cosigners' xpubs; the script type is bare P2SH (SPENDADDRESS in the test).
            const multisig = v.multisig ? { m: v.multisig.m, xpubs: v.multisig.nodes.map((n: Vector) => n.xpub), scriptType: 'p2sh' as const } : undefined;
            const scriptType = multisig ? undefined : INPUT_TYPE[v.script_type]!;
            expect(await getAddress(trezor, { path: v.address_n, coin, show: v.show_display, ...(multisig ? { multisig } : { scriptType }) })).toBe(v.expected.address);
          } else if (v.kind === 'message') {
            const { address, signature } = await signMessage(trezor, { path: v.address_n, coin, message: hex.decode(v.message_hex) });
            expect(address).toBe(v.expected.address);
            expect(hex.encode(Uint8Array.from(atob(signature), (c) => c.charCodeAt(0)))).toBe(v.expected.signature);
            expect(verifyMessage({ address, message: v.message_utf8, signature, coin })).toBe(true);
          } else if (coin.overwintered) {
            const { tx, txid } = await signZcashTransaction(trezor, vectorZcash(v), { coin });
            expect(hex.encode(tx)).toBe(v.expected.serialized_tx);
            if (v.expected.network_txid) expect(txid).toBe(v.expected.network_txid);
          } else {
            const { tx, txid } = await signPsbt(trezor, vectorPsbt(v), { coin });
            if (v.expected.serialized_tx) expect(hex.encode(tx)).toBe(v.expected.serialized_tx);
            if (v.expected.txid) expect(txid).toBe(v.expected.txid);
            if (v.expected.serialized_tx_hash) expect(hex.encode(sha256d(tx).reverse())).toBe(v.expected.serialized_tx_hash);
          }
        });
      }
    });

    describe('addresses, xpubs, messages from the SLIP-14 seed', () => {
      for (const [coin, account, type] of ACCOUNTS) {
        it(`${coin.name} ${account} (${type})`, async (ctx) => {
          const device = await open(ctx, target, coin);
          const { trezor } = device;
          if (lacksCoin(device, coin)) {
            // Not in this model's firmware: the device refuses the coin by name.
            await expect(getAddress(trezor, { path: `${account}/0/0`, coin, scriptType: type })).rejects.toMatchObject({ code: 'FirmwareError', failureMessage: 'Unsupported coin type' });
            return;
          }
          const { xpub } = await getPublicKey(trezor, { path: account, coin, scriptType: type });
          expect(xpub).toBe(seedXpub(account, coin, type));
          const path = `${account}/0/3`;
          const address = await getAddress(trezor, { path, coin, scriptType: type });
          expect(address).toBe(scriptAddress(coin, keyScript(type, publicKeyAt(path)).script));
          const signed = await signMessage(trezor, { path, coin, scriptType: type, message: `${coin.name} from trezor-direct` });
          expect(signed.address).toBe(address);
          expect(verifyMessage({ address, message: `${coin.name} from trezor-direct`, signature: signed.signature, coin })).toBe(true);
          expect(verifyMessage({ address, message: 'another message', signature: signed.signature, coin })).toBe(false);
        });
      }
    });

    describe('createPsbt → signPsbt with the coin rules', () => {
      const cases: [CoinInfo, string, ScriptType, number, bigint][] = [
        [BCASH, "m/44'/145'/0'", 'p2pkh', 1, 100_000n],
        [BGOLD, "m/84'/156'/0'", 'p2wpkh', 2, 100_000n],
        [DASH, "m/44'/5'/0'", 'p2pkh', 1, 100_000n],
        [DOGECOIN, "m/44'/3'/0'", 'p2pkh', 1000, 5_000_000n],
        [BCASH_TESTNET, "m/44'/1'/0'", 'p2pkh', 10, 100_000n],
      ];
      for (const [coin, account, type, feeRate, amount] of cases) {
        it(`${coin.name}: ${type}, ${feeRate} sat/vB, change`, async (ctx) => {
          const device = await open(ctx, target, coin);
          if (lacksCoin(device, coin)) skip(ctx, `${coin.name} is not in the ${device.model} firmware (support.json); the refusal is checked with the addresses above`);
          const { trezor } = device;
          const funding = fundingTx(`${account}/0/0`, type, amount * 3n, 1, 77);
          const pay = scriptAddress(coin, keyScript('p2pkh', publicKeyAt(`${account}/0/9`)).script)!;
          const psbt = createPsbt({
            coin,
            account: accountKey(account, coin, type),
            utxos: [{ txid: funding.txid, vout: 1, amount: amount * 3n, path: `${account}/0/0`, prevTx: funding.raw }],
            outputs: [{ address: pay, amount }],
            feeRate,
            change: { path: `${account}/1/0` },
            version: 1,
          });
          const { tx } = await signPsbt(trezor, psbt, { coin });
          const signed = Transaction.fromRaw(tx, { allowUnknownOutputs: true });
          expect(signed.outputsLength).toBe(2);
          expect(signed.getOutput(0).amount).toBe(amount);
          const fee = amount * 3n - amount - signed.getOutput(1).amount!;
          expect(fee >= BigInt(feeRate) * BigInt(signed.vsize) && fee <= BigInt(feeRate) * BigInt(signed.vsize + 4)).toBe(true);
        });
      }
    });

    describe('createPsbt → signPsbt spending a Dash DIP-2 special transaction', () => {
      it('Dash: the previous transaction travels in the proprietary field and its payload as extra data', async (ctx) => {
        const v = MINE.find((x) => x.id === 'test_dash.py::test_send_dash_dip2_input')!;
        const device = await open(ctx, target, DASH, v);
        const prevTx = serializePrevTx(v.prev_txs[v.inputs[0].prev_hash]);
        const psbt = createPsbt({
          coin: DASH,
          account: accountKey("m/44'/5'/0'", DASH),
          utxos: [{ txid: v.inputs[0].prev_hash, vout: 1, amount: BigInt(v.inputs[0].amount), path: v.inputs[0].address_n, prevTx }],
          outputs: [{ address: v.outputs[1].address, amount: BigInt(v.outputs[1].amount) }],
          feeRate: 1,
          change: { path: v.outputs[0].address_n },
          version: 1,
        });
        const { tx } = await signPsbt(device.trezor, psbt, { coin: DASH });
        const signed = Transaction.fromRaw(tx);
        expect(hex.encode(signed.getInput(0).txid!)).toBe(v.inputs[0].prev_hash);
        expect(signed.getOutput(0).amount).toBe(BigInt(v.outputs[1].amount));
      });
    });

    describe('createZcashTransaction → signZcashTransaction (v5)', () => {
      it('Zcash Testnet: one P2PKH UTXO, ZIP-317 fee, change', async (ctx) => {
        const device = await open(ctx, target, ZCASH_TESTNET, { needs: ['zcash_v5'] });
        const account = "m/44'/1'/0'";
        const unsigned = createZcashTransaction({
          coin: ZCASH_TESTNET,
          account: accountKey(account, ZCASH_TESTNET),
          utxos: [{ txid: 'c5309bd6a18f6bf374918b1c96e872af02e80d678c53d37547de03048ace79bf', vout: 0, amount: 4_134_720n, path: `${account}/0/0` }],
          outputs: [{ address: 'tmCYEhUmZGpzyFrhUdKqwt64DrPqkFNChxx', amount: 1_000_000n }],
          change: { path: `${account}/1/0` },
          branchId: 0xc2d6d0b4,
        });
        const { tx, txid } = await signZcashTransaction(device.trezor, unsigned, { coin: ZCASH_TESTNET });
        expect(hex.encode(tx).startsWith('050000800a27a726b4d0d6c2')).toBe(true);
        expect(txid).toMatch(/^[0-9a-f]{64}$/);
        expect(unsigned.outputs[1]!.amount).toBe(4_134_720n - 1_000_000n - 10_000n);
      });
    });
  });
}
