// Device suite, Bitcoin: every SLIP-14 vector of btc_addresses, btc_xpubs, btc_descriptors,
// btc_sign_message and btc_sign_tx byte for byte on both models; the order of TxRequests
// against the firmware's recorded flow; createPsbt → signPsbt round trips on regtest UTXOs
// (with change; with every input type in one transaction) finalized and checked with
// @scure/btc-signer's own sighashes; a "no" on the device; and a transport that alters one
// signature byte on its way to the host, which signPsbt must catch (VerificationFailed).
//
// Runs against VirtualTrezor (the harness's targets: T1B1 1.14.1, T2T1 2.4.1 and 2.8.9, T3T1
// and T2B1 2.8.9, as the recorded emulators) or a real emulator when TREZOR_EMULATOR is set (see harness.ts). On the emulator, safety checks are
// relaxed to PromptTemporarily first: two vectors use paths that newer firmware only accepts
// after a warning (a BIP-44 path with a P2SH-segwit script type, an xpub at m/44'/0'/0), and
// the warning is pressed like any screen. Taproot vectors are skipped, with the reason, on
// firmware older than 1.10.4 / 2.4.3 (the Model T 2.4.1 of the recordings predates it); there
// the library must refuse taproot with NotSupported before anything reaches the device.
// The sign-message vector with no_script_type is version-gated too: firmware before 1.10.4 /
// 2.4.3 ignores the flag (the Model T 2.4.1 emulator signs with the segwit header), so the
// library refuses it there with NotSupported; the virtual device's answer to the raw flag on
// such firmware is pinned in test/virtual-bitcoin-message.test.ts.
import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64, hex } from '@scure/base';
import { Address, OutScript, SigHash, Transaction } from '@scure/btc-signer';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import {
  createPsbt,
  getAccountDescriptor,
  getAddress,
  getAddresses,
  getPublicKey,
  signMessage,
  signPsbt,
  verifyMessage,
  type ScriptType,
} from '../../src/bitcoin/index.js';
import { btcNetwork, getCoin } from '../../src/bitcoin/coins.js';
import { isTrezorError } from '../../src/errors.js';
import { modelFamily } from '../../src/models.js';
import { decodeMessage, encodeMessage } from '../../src/messages/index.js';
import { parsePath } from '../../src/path.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../../src/protocol/v1.js';
import { connect } from '../../src/session/connect.js';
import type { Trezor } from '../../src/session/trezor.js';
import { DebugLink } from '../../src/testing/debuglink.js';
import { VirtualTrezor } from '../../src/testing/virtual/device.js';
import type { Transport, TransportConnection } from '../../src/transport/types.js';
import { ROOT, ROOT_FINGERPRINT, fundingTx } from '../support/bitcoin-wallet.js';
import { loadVectors } from '../support/fixtures.js';
import { SCRIPT_TYPES, slip14VectorPsbt as vectorPsbt } from '../support/slip14-psbt.js';
import {
  EMULATOR_PING_MS,
  MNEMONIC,
  closeAll,
  lacks,
  openDevice,
  requireFeature,
  targets,
  virtualOptions,
  type DeviceUnderTest,
  type FeatureNeed,
  type Target,
} from './harness.js';

const TYPES = SCRIPT_TYPES;
const DESCRIPTOR_TYPES: Record<string, ScriptType> = { pkh: 'p2pkh', 'sh(wpkh': 'p2sh-p2wpkh', wpkh: 'p2wpkh', tr: 'p2tr' };
const EMULATOR = Boolean(process.env.TREZOR_EMULATOR);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const vectors: any = loadVectors();

afterEach(closeAll);

/** A seeded device with Bitcoin, after checking that it can do what the test needs. */
async function open(ctx: TestContext, target: Target, needs: FeatureNeed[] = []): Promise<DeviceUnderTest> {
  const device = await openDevice({ model: target });
  for (const need of needs) requireFeature(ctx, device.trezor.features, need);
  if (EMULATOR) await device.trezor.typedCall('ApplySettings', { safety_checks: 'PromptTemporarily' }, 'Success');
  return device;
}


function hash160(key: Uint8Array): Uint8Array {
  return ripemd160(sha256(key));
}

/**
 * Check every input of a signed PSBT with @scure/btc-signer's own signature hashes (not the
 * library's), and its finalized transaction against signPsbt's.
 */
function checkWithBtcSigner(psbt: Uint8Array, tx: Uint8Array, txid: string): void {
  const signed = Transaction.fromPSBT(psbt);
  const scripts: Uint8Array[] = [];
  const amounts: bigint[] = [];
  for (let i = 0; i < signed.inputsLength; i++) {
    const input = signed.getInput(i);
    const prev = input.witnessUtxo ?? input.nonWitnessUtxo!.outputs[input.index!]!;
    scripts.push(prev.script);
    amounts.push(prev.amount);
  }
  for (let i = 0; i < signed.inputsLength; i++) {
    const input = signed.getInput(i);
    const type = OutScript.decode(scripts[i]!).type;
    if (type === 'tr') {
      const digest = signed.preimageWitnessV1(i, scripts, SigHash.DEFAULT, amounts);
      expect(schnorr.verify(input.tapKeySig!, digest, scripts[i]!.subarray(2, 34))).toBe(true);
      continue;
    }
    const [[key, sig]] = input.partialSig! as [Uint8Array, Uint8Array][];
    expect(sig!.at(-1)).toBe(SigHash.ALL);
    const code = OutScript.encode({ type: 'pkh', hash: hash160(key!) });
    const digest =
      type === 'pkh'
        ? (signed as unknown as { preimageLegacy(i: number, s: Uint8Array, h: number): Uint8Array }).preimageLegacy(i, scripts[i]!, SigHash.ALL)
        : signed.preimageWitnessV0(i, code, SigHash.ALL, amounts[i]!);
    expect(secp256k1.verify(sig!.subarray(0, -1), digest, key!, { prehash: false, format: 'der' })).toBe(true);
  }
  signed.finalize();
  expect(hex.encode(signed.extract())).toBe(hex.encode(tx));
  expect(signed.id).toBe(txid);
}

/** Funding transactions and UTXOs of the SLIP-14 wallet on regtest. */
function regtestUtxos(paths: { path: string; type: ScriptType; amount: bigint }[]) {
  return paths.map(({ path, type, amount }, i) => {
    const { raw, txid } = fundingTx(path, type, amount, i % 2, 500 + i);
    return { txid, vout: i % 2, amount, path, prevTx: raw };
  });
}

// ----------------------------------------------------------------------------------------------
// Wire taps: a transport that shows the host every message the device sends (and may alter it).

type Tap = (message: { type: number; payload: Uint8Array }) => { type: number; payload: Uint8Array };

function tapped(inner: Transport, tap: Tap): Transport {
  return {
    name: inner.name,
    enumerate: (signal) => inner.enumerate(signal),
    async open(device, signal): Promise<TransportConnection> {
      const connection = await inner.open(device, signal);
      let state: DecodeState | undefined;
      const ready: Uint8Array[] = [];
      return {
        async read(readSignal) {
          for (;;) {
            const next = ready.shift();
            if (next) return next;
            const report = await connection.read(readSignal);
            state = decodeReport(state, report);
            const done = completedMessage(state);
            if (!done) continue;
            state = undefined;
            const out = tap(done);
            ready.push(...encodeReports(out.type, out.payload));
          }
        },
        write: (report, writeSignal) => connection.write(report, writeSignal),
        close: (closeSignal) => connection.close(closeSignal),
        onDisconnect: (listener) => connection.onDisconnect(listener),
      };
    },
  };
}

/** Like openDevice, but with the wire passing through `tap`. */
async function openTapped(ctx: TestContext, target: Target, tap: Tap, needs: FeatureNeed[] = []): Promise<{ trezor: Trezor; close(): Promise<void> }> {
  let transport: Transport;
  let debug: DebugLink;
  let virtual: VirtualTrezor | undefined;
  if (target === 'emulator') {
    const [host = '127.0.0.1', port = '21324'] = process.env.TREZOR_EMULATOR!.split(':');
    const [debugHost = host, debugPort = String(Number(port) + 1)] = (process.env.TREZOR_DEBUGLINK ?? '').split(':').filter(Boolean);
    debug = await DebugLink.connect({ host: debugHost, port: Number(debugPort), wirePort: Number(port), pingTimeout: EMULATOR_PING_MS });
    const { udp } = await import('../../src/node.js');
    transport = udp({ host, port: Number(port), pingTimeout: EMULATOR_PING_MS });
  } else {
    virtual = new VirtualTrezor(virtualOptions(target));
    debug = virtual.debugLink();
    transport = virtual.transport();
  }
  await debug.loadDevice({ mnemonic: MNEMONIC, label: 'test' });
  const trezor = await connect({ transport: tapped(transport, tap), ui: { button: () => void debug.press('yes').catch(() => undefined) } });
  const close = async () => {
    await trezor.close().catch(() => undefined);
    await debug.close();
    await virtual?.close();
  };
  try {
    for (const need of needs) requireFeature(ctx, trezor.features, need);
    if (EMULATOR) await trezor.typedCall('ApplySettings', { safety_checks: 'PromptTemporarily' }, 'Success');
  } catch (e) {
    await close();
    throw e;
  }
  return { trezor, close };
}

// ----------------------------------------------------------------------------------------------

for (const target of targets()) {
  describe(`Bitcoin on ${target}`, () => {
    describe('btc_addresses', () => {
      for (const v of vectors.btc_addresses) {
        it(`${v.coin} ${v.path} ${v.script_type}`, async (ctx) => {
          const { trezor } = await open(ctx, target, v.script_type === 'SPENDTAPROOT' ? ['taproot'] : []);
          expect(await getAddress(trezor, { path: v.path, coin: v.coin, scriptType: TYPES[v.script_type] })).toBe(v.expected);
        });
      }
    });

    describe('btc_xpubs', () => {
      for (const v of vectors.btc_xpubs) {
        it(`${v.coin} ${v.path} ${v.script_type ?? 'SPENDADDRESS'}${v.ignore_xpub_magic ? ' plain' : ''}`, async (ctx) => {
          const { trezor } = await open(ctx, target, v.script_type === 'SPENDTAPROOT' ? ['taproot'] : []);
          const key = await getPublicKey(trezor, {
            path: v.path,
            coin: v.coin,
            scriptType: TYPES[v.script_type ?? 'SPENDADDRESS'],
            ignoreXpubMagic: v.ignore_xpub_magic === true,
          });
          expect(key.xpub).toBe(v.expected_xpub);
          expect(hex.encode(key.publicKey)).toBe(hex.encode(ROOT.derive(v.path).publicKey!));
          expect(key.depth).toBe(parsePath(v.path).length);
          expect(key.rootFingerprint).toBe(ROOT_FINGERPRINT);
        });
      }
    });

    describe('btc_descriptors', () => {
      for (const v of vectors.btc_descriptors) {
        it(v.descriptor.slice(0, 40), async (ctx) => {
          const match = /^(pkh|sh\(wpkh|wpkh|tr)\(\[[0-9a-f]{8}\/([^\]]+)\]/.exec(v.descriptor)!;
          const scriptType = DESCRIPTOR_TYPES[match[1]!]!;
          const { trezor } = await open(ctx, target, scriptType === 'p2tr' ? ['taproot'] : []);
          const path = `m/${match[2]!.replaceAll('h', "'")}`;
          expect(await getAccountDescriptor(trezor, { path, scriptType })).toBe(v.descriptor);
        });
      }
    });

    describe('btc_sign_message', () => {
      for (const v of vectors.btc_sign_message) {
        it(`${v.coin} ${v.case}${v.no_script_type ? ' (no script type)' : ''}`, async (ctx) => {
          const { trezor } = await open(ctx, target);
          const parameters = { path: v.path, message: v.message, coin: v.coin, scriptType: TYPES[v.script_type], noScriptType: v.no_script_type };
          // Firmware older than no_script_type (1.10.4 / 2.4.3) would ignore it and sign with the
          // segwit header: the library refuses first.
          if (v.no_script_type && lacks(trezor.features, 'noScriptType')) {
            const error = await signMessage(trezor, parameters).catch((e: unknown) => e);
            expect(isTrezorError(error, 'NotSupported')).toBe(true);
            return;
          }
          const result = await signMessage(trezor, parameters);
          expect(result.address).toBe(v.expected_address);
          expect(result.signature).toBe(base64.encode(hex.decode(v.expected_signature)));
          expect(verifyMessage({ address: result.address, message: v.message, signature: result.signature, coin: v.coin })).toBe(true);
        });
      }
    });

    describe('btc_sign_tx', () => {
      for (const v of vectors.btc_sign_tx) {
        it(v.id, async (ctx) => {
          const taproot = v.inputs.some((i: { script_type: string }) => i.script_type === 'SPENDTAPROOT');
          // Record what the device asks, in order, to hold it against the firmware's flow.
          const flow: string[] = [];
          const device = await openTapped(
            ctx,
            target,
            (message) => {
              const decoded = decodeMessage(message.type, message.payload);
              if (decoded.type === 'TxRequest') {
                const { request_type: kind, details } = decoded.message;
                const prev = details?.tx_hash?.length ? ` prev=${hex.encode(details.tx_hash).slice(0, 6)}..` : '';
                flow.push(kind === 'TXFINISHED' || kind === 'TXMETA' ? `${String(kind)}${prev}` : `${String(kind)} ${details?.request_index ?? 0}${prev}`);
              } else if (decoded.type === 'ButtonRequest') flow.push(`ButtonRequest ${String(decoded.message.code).replace('ButtonRequest_', '')}`);
              return message;
            },
            taproot ? ['taproot'] : [],
          );
          try {
            const result = await signPsbt(device.trezor, vectorPsbt(v), { coin: v.coin_name });
            expect(hex.encode(result.tx)).toBe(v.expected_serialized_tx);
            expect(result.txid).toBe(v.expected_txid);
            checkWithBtcSigner(result.psbt, result.tx, result.txid);
            const requests = (list: string[]) => list.filter((step) => !step.includes('ButtonRequest'));
            const expected: string[] = v.expected_txrequest_flow;
            const t1 = modelFamily(device.trezor.features) === 1;
            if (t1) {
              expect(flow.filter((s) => !s.startsWith('ButtonRequest ApplySettings') && !s.startsWith('ButtonRequest ProtectCall'))).toEqual(
                expected.filter((step) => !step.startsWith('(core only)')),
              );
            } else {
              expect(requests(flow)).toEqual(requests(expected));
            }
          } finally {
            await device.close();
          }
        });
      }
    });

    it('createPsbt → signPsbt on regtest UTXOs, with change', async (ctx) => {
      const { trezor } = await open(ctx, target);
      const account = await getPublicKey(trezor, { path: "m/84'/1'/0'", coin: 'Regtest' });
      expect(account.rootFingerprint).toBe(ROOT_FINGERPRINT);
      const recipient = await getAddress(trezor, { path: "m/84'/1'/3'/0/0", coin: 'Regtest' });
      const utxos = regtestUtxos([
        { path: "m/84'/1'/0'/0/0", type: 'p2wpkh', amount: 80_000n },
        { path: "m/84'/1'/0'/0/1", type: 'p2wpkh', amount: 150_000n },
        { path: "m/84'/1'/0'/1/4", type: 'p2wpkh', amount: 30_000n },
      ]);
      const psbt = createPsbt({
        coin: 'Regtest',
        account: { xpub: account.xpub, path: account.path, rootFingerprint: account.rootFingerprint! },
        utxos,
        outputs: [{ address: recipient, amount: 200_000n }],
        feeRate: 3,
        change: { path: "m/84'/1'/0'/1/5" },
      });
      const result = await signPsbt(trezor, psbt, { coin: 'Regtest' });
      checkWithBtcSigner(result.psbt, result.tx, result.txid);
      const signed = Transaction.fromRaw(result.tx);
      expect(signed.outputsLength).toBe(2);
      expect(Address(btcNetwork(getCoin('Regtest'))).encode(OutScript.decode(signed.getOutput(1).script!))).toBe(
        await getAddress(trezor, { path: "m/84'/1'/0'/1/5", coin: 'Regtest' }),
      );
    });

    it('mixed input types in one transaction', async (ctx) => {
      const { trezor } = await open(ctx, target);
      const noTaproot = lacks(trezor.features, 'taproot');
      const taproot = noTaproot === undefined;
      if (noTaproot) console.log(`[note] ${ctx.task.fullTestName ?? ctx.task.name}: no taproot input (${noTaproot})`);
      const kinds: { purpose: number; type: ScriptType }[] = [
        { purpose: 44, type: 'p2pkh' },
        { purpose: 49, type: 'p2sh-p2wpkh' },
        { purpose: 84, type: 'p2wpkh' },
        ...(taproot ? [{ purpose: 86, type: 'p2tr' as ScriptType }] : []),
      ];
      const accounts = [];
      for (const { purpose } of kinds) {
        const key = await getPublicKey(trezor, { path: `m/${purpose}'/1'/0'`, coin: 'Regtest' });
        accounts.push({ xpub: key.xpub, path: key.path, rootFingerprint: key.rootFingerprint! });
      }
      const utxos = regtestUtxos(kinds.map(({ purpose, type }, i) => ({ path: `m/${purpose}'/1'/0'/0/${i}`, type, amount: 40_000n + BigInt(i) })));
      const psbt = createPsbt({
        coin: 'Regtest',
        account: accounts,
        utxos,
        outputs: [{ address: await getAddress(trezor, { path: "m/84'/1'/3'/0/1", coin: 'Regtest' }), amount: 100_000n }],
        feeRate: 2,
        change: { path: "m/84'/1'/0'/1/0" },
        strategy: 'all',
      });
      const result = await signPsbt(trezor, psbt, { coin: 'Regtest' });
      expect(Transaction.fromRaw(result.tx).inputsLength).toBe(kinds.length);
      checkWithBtcSigner(result.psbt, result.tx, result.txid);
    });

    it('taproot on firmware without it: NotSupported before anything reaches the device', async (ctx) => {
      const device = await open(ctx, target);
      const { trezor } = device;
      const noTaproot = lacks(trezor.features, 'taproot');
      if (!noTaproot) {
        const reason = 'the firmware has taproot: nothing to refuse (the taproot vectors above ran)';
        console.log(`[skip] ${ctx.task.fullTestName ?? ctx.task.name}: ${reason}`);
        ctx.skip(reason);
      }
      // Every exchange with the device runs inside trezor.exclusive: count them.
      const exclusive = trezor.exclusive.bind(trezor);
      let exchanges = 0;
      trezor.exclusive = ((flow) => {
        exchanges++;
        return exclusive(flow);
      }) as typeof trezor.exclusive;
      const codeOf = (promise: Promise<unknown>) => promise.then(() => 'resolved', (e: unknown) => (isTrezorError(e) ? e.code : String(e)));
      const address = vectors.btc_addresses.find((v: { script_type: string }) => v.script_type === 'SPENDTAPROOT');
      const xpub = vectors.btc_xpubs.find((v: { script_type?: string }) => v.script_type === 'SPENDTAPROOT');
      const spend = vectors.btc_sign_tx.find((v: { inputs: { script_type: string }[] }) => v.inputs.some((i) => i.script_type === 'SPENDTAPROOT'));
      expect(await codeOf(getAddress(trezor, { path: address.path, coin: address.coin }))).toBe('NotSupported');
      expect(await codeOf(getPublicKey(trezor, { path: xpub.path, coin: xpub.coin }))).toBe('NotSupported');
      expect(await codeOf(getAccountDescriptor(trezor, { path: xpub.path, scriptType: 'p2tr' }))).toBe('NotSupported');
      expect(await codeOf(signPsbt(trezor, vectorPsbt(spend), { coin: spend.coin_name }))).toBe('NotSupported');
      expect(exchanges).toBe(0);
      // The device itself refuses a taproot address too (what the gate spares the user).
      trezor.exclusive = exclusive;
      const refused = await codeOf(trezor.typedCall('GetAddress', { address_n: parsePath(address.path), coin_name: address.coin, script_type: 'SPENDTAPROOT' }, 'Address'));
      expect(refused).not.toBe('resolved');
      console.log(`[note] ${ctx.task.fullTestName ?? ctx.task.name}: ${noTaproot}; the device answers a taproot GetAddress with ${refused}`);
    });

    it('a "no" on the device cancels the signing', async (ctx) => {
      const device = await open(ctx, target);
      const utxos = regtestUtxos([{ path: "m/84'/1'/0'/0/0", type: 'p2wpkh', amount: 80_000n }]);
      const account = await getPublicKey(device.trezor, { path: "m/84'/1'/0'", coin: 'Regtest' });
      const psbt = createPsbt({
        coin: 'Regtest',
        account: { xpub: account.xpub, path: account.path, rootFingerprint: account.rootFingerprint! },
        utxos,
        outputs: [{ address: await getAddress(device.trezor, { path: "m/84'/1'/3'/0/0", coin: 'Regtest' }), amount: 50_000n }],
        feeRate: 1,
        change: { path: "m/84'/1'/0'/1/0" },
      });
      device.answers.push('no');
      await expect(signPsbt(device.trezor, psbt, { coin: 'Regtest' })).rejects.toSatisfy((e) => isTrezorError(e, 'ActionCancelled'));
      // The session is still usable.
      expect(await getAddress(device.trezor, { path: "m/84'/1'/0'/0/0", coin: 'Regtest' })).toMatch(/^bcrt1q/);
    });

    it('getAddresses: the Bitcoin address vectors of each script type in one flow, in order', async (ctx) => {
      const { trezor } = await open(ctx, target);
      const groups = new Map<ScriptType, { path: string; expected: string }[]>();
      for (const v of vectors.btc_addresses) {
        const type = TYPES[v.script_type];
        if (v.coin !== 'Bitcoin' || !type || type === 'p2tr') continue; // taproot: gated in btc_addresses above
        groups.set(type, [...(groups.get(type) ?? []), v]);
      }
      expect(groups.size).toBeGreaterThan(1);
      for (const [scriptType, list] of groups) {
        const order = [...list, ...list].reverse();
        expect(await getAddresses(trezor, { scriptType, paths: order.map((v) => v.path) })).toEqual(order.map((v) => v.expected));
      }
    });

    it('createPsbt with an exact fee, no change and rbf: false → signPsbt', async (ctx) => {
      const { trezor } = await open(ctx, target);
      const account = await getPublicKey(trezor, { path: "m/84'/1'/0'", coin: 'Regtest' });
      const recipient = await getAddress(trezor, { path: "m/84'/1'/3'/0/1", coin: 'Regtest' });
      const utxos = regtestUtxos([{ path: "m/84'/1'/0'/0/2", type: 'p2wpkh', amount: 90_000n }]);
      const psbt = createPsbt({
        coin: 'Regtest',
        account: { xpub: account.xpub, path: account.path, rootFingerprint: account.rootFingerprint! },
        utxos,
        outputs: [{ address: recipient, amount: 88_765n }],
        fee: 1_235n,
        change: false,
        rbf: false,
        lockTime: 500,
      });
      const result = await signPsbt(trezor, psbt, { coin: 'Regtest' });
      checkWithBtcSigner(result.psbt, result.tx, result.txid);
      const signed = Transaction.fromRaw(result.tx);
      expect(signed.outputsLength).toBe(1);
      expect(signed.getOutput(0).amount).toBe(88_765n);
      expect(signed.getInput(0).sequence).toBe(0xfffffffe);
      expect(signed.lockTime).toBe(500);
    });

    it('shows an address on the device', async (ctx) => {
      const device = await open(ctx, target);
      expect(await getAddress(device.trezor, { path: "m/84'/0'/0'/0/0", show: true })).toBe('bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk');
      expect(device.buttons.map((b) => b.code)).toContain('ButtonRequest_Address');
    });

    it('a transport that alters one signature byte → VerificationFailed', async (ctx) => {
      let altered = 0;
      const device = await openTapped(ctx, target, (message) => {
        if (altered || message.type !== 21) return message;
        const decoded = decodeMessage(message.type, message.payload);
        if (decoded.type !== 'TxRequest' || !decoded.message.serialized?.signature) return message;
        const signature = decoded.message.serialized.signature.slice();
        signature[signature.length - 3]! ^= 0x01;
        altered++;
        return encodeMessage('TxRequest', { ...decoded.message, serialized: { ...decoded.message.serialized, signature } });
      });
      try {
        const utxos = regtestUtxos([
          { path: "m/84'/1'/0'/0/0", type: 'p2wpkh', amount: 80_000n },
          { path: "m/84'/1'/0'/0/1", type: 'p2wpkh', amount: 90_000n },
        ]);
        const account = await getPublicKey(device.trezor, { path: "m/84'/1'/0'", coin: 'Regtest' });
        const psbt = createPsbt({
          coin: 'Regtest',
          account: { xpub: account.xpub, path: account.path, rootFingerprint: account.rootFingerprint! },
          utxos,
          outputs: [{ address: await getAddress(device.trezor, { path: "m/84'/1'/3'/0/0", coin: 'Regtest' }), amount: 150_000n }],
          feeRate: 1,
          change: { path: "m/84'/1'/0'/1/0" },
        });
        await expect(signPsbt(device.trezor, psbt, { coin: 'Regtest' })).rejects.toSatisfy((e) => isTrezorError(e, 'VerificationFailed'));
        expect(altered).toBe(1);
      } finally {
        await device.close();
      }
    });
  });
}
