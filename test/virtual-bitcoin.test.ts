// Bitcoin flows of VirtualTrezor that no recording covers: UnlockPath's MAC reuse and its
// one-request scope (SLIP-25), and Bcash SignTx with BIP-143 + SIGHASH_FORKID (the replay
// test holds Bcash addresses and messages to the 1.14.1 emulator; no signing transcript
// exists, so the signature is checked against the BCH digest rules directly).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { afterEach, describe, expect, it } from 'vitest';
import { openVirtualWire } from './support/virtual-wire.js';
import type { AnyMessage, MessageMap, MessageName } from '../src/messages/index.js';
import { mnemonicToSeed, type VirtualTrezor } from '../src/testing/virtual/device.js';
import type { Model } from '../src/testing/virtual/context.js';

const MNEMONIC = 'all all all all all all all all all all all all';
const H = 0x80000000;
const SLIP25 = (H | 10025) >>> 0;
const devices: VirtualTrezor[] = [];
afterEach(async () => {
  for (const device of devices.splice(0)) await device.close();
});

async function open(model: Model = 'T1B1', firmware?: string) {
  const wire = await openVirtualWire(devices, model, firmware);
  /** Send a request and answer ButtonRequests until something else comes. */
  const call = async <N extends MessageName>(name: N, message: MessageMap[N]): Promise<AnyMessage> => (await wire(name, message)).answer;
  return { call };
}

const hash160 = (data: Uint8Array) => ripemd160(sha256(data));
const sha256d = (data: Uint8Array) => sha256(sha256(data));
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const u64 = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};
const p2pkh = (hash: Uint8Array) => concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), hash, Uint8Array.of(0x88, 0xac));

describe('UnlockPath (SLIP-25)', () => {
  it('unlocks m/10025\' for the next request only; the returned MAC skips the confirmation', async () => {
    const { call } = await open();
    const path = [SLIP25, H, H, (H | 1) >>> 0];
    const locked = await call('GetPublicKey', { address_n: path, script_type: 'SPENDTAPROOT' });
    expect(locked).toMatchObject({ type: 'Failure', message: { code: 'Failure_DataError' } });

    const unlocked = await call('UnlockPath', { address_n: [SLIP25] });
    expect(unlocked.type).toBe('UnlockedPathRequest');
    const mac = (unlocked.message as MessageMap['UnlockedPathRequest']).mac;
    expect((await call('GetPublicKey', { address_n: path, script_type: 'SPENDTAPROOT' })).type).toBe('PublicKey');
    // Spent by that request.
    expect((await call('GetPublicKey', { address_n: path, script_type: 'SPENDTAPROOT' })).type).toBe('Failure');

    expect(await call('UnlockPath', { address_n: [SLIP25], mac })).toMatchObject({ type: 'UnlockedPathRequest', message: { mac } });
    const wrong = mac.slice();
    wrong[0]! ^= 1;
    expect(await call('UnlockPath', { address_n: [SLIP25], mac: wrong })).toMatchObject({ type: 'Failure', message: { code: 'Failure_DataError' } });
    expect(await call('UnlockPath', { address_n: [(H | 86) >>> 0] })).toMatchObject({ type: 'Failure', message: { code: 'Failure_DataError' } });
  });

  it('is an unknown message to firmware before SLIP-25 (Model T 2.4.1, a claimed Trezor One 1.12.0)', async () => {
    for (const [model, firmware] of [['T2T1', undefined], ['T1B1', '1.12.0']] as const) {
      const { call } = await open(model, firmware);
      expect(await call('UnlockPath', { address_n: [SLIP25] })).toMatchObject({ type: 'Failure', message: { code: 'Failure_UnexpectedMessage' } });
    }
    const { call } = await open('T2T1', '2.5.3');
    expect((await call('UnlockPath', { address_n: [SLIP25] })).type).toBe('UnlockedPathRequest');
  });
});

describe('Bcash SignTx', () => {
  it('signs a P2PKH input with the BIP-143 digest and SIGHASH_ALL | FORKID (0x41)', async () => {
    const path = [(H | 44) >>> 0, (H | 145) >>> 0, H, 0, 0];
    const key = HDKey.fromMasterSeed(mnemonicToSeed(MNEMONIC, '')).derive("m/44'/145'/0'/0/0");
    const script = p2pkh(hash160(key.publicKey!));
    // A previous transaction paying 100000 sat to that key; the new one pays 90000 back to it.
    const prev = concatBytes(u32(1), Uint8Array.of(1), new Uint8Array(32).fill(7), u32(0), Uint8Array.of(0), u32(0xffffffff), Uint8Array.of(1), u64(100000n), Uint8Array.of(script.length), script, u32(0));
    const prevHash = sha256d(prev).reverse();
    const prevInput = { prev_hash: new Uint8Array(32).fill(7).reverse(), prev_index: 0, script_sig: new Uint8Array(0), sequence: 0xffffffff };
    const input = { address_n: path, prev_hash: prevHash, prev_index: 0, amount: 100000n, script_type: 'SPENDADDRESS' as const, sequence: 0xffffffff };
    const output = { address: 'bitcoincash:qr08q88p9etk89wgv05nwlrkm4l0urz4cyl36hh9sv', amount: 90000n, script_type: 'PAYTOADDRESS' as const };

    const { call } = await open();
    let answer = await call('SignTx', { coin_name: 'Bcash', inputs_count: 1, outputs_count: 1 });
    const pieces: Uint8Array[] = [];
    let signature: Uint8Array | undefined;
    for (;;) {
      expect(answer.type).toBe('TxRequest');
      const request = answer.message as MessageMap['TxRequest'];
      if (request.serialized?.serialized_tx) pieces.push(request.serialized.serialized_tx);
      if (request.serialized?.signature) signature = request.serialized.signature;
      if (request.request_type === 'TXFINISHED') break;
      const hash = request.details?.tx_hash;
      const type = request.request_type;
      if (type === 'TXMETA') answer = await call('TxAckPrevMeta', { tx: { version: 1, lock_time: 0, inputs_count: 1, outputs_count: 1 } });
      else if (type === 'TXINPUT' && hash) answer = await call('TxAckPrevInput', { tx: { input: prevInput } });
      else if (type === 'TXOUTPUT' && hash) answer = await call('TxAckPrevOutput', { tx: { output: { amount: 100000n, script_pubkey: script } } });
      else if (type === 'TXINPUT') answer = await call('TxAckInput', { tx: { input } });
      else answer = await call('TxAckOutput', { tx: { output } });
    }
    const tx = concatBytes(...pieces);
    // BIP-143 with the fork id: hashPrevouts, hashSequence, the outpoint, the P2PKH script code,
    // the amount, nSequence, hashOutputs, nLockTime and nHashType 0x41.
    const outScript = script; // the address above is this key's (transcripts/bitcoin/test_getaddress/test_bch)
    const digest = sha256d(
      concatBytes(
        u32(1),
        sha256d(concatBytes(prevHash.slice().reverse(), u32(0))),
        sha256d(u32(0xffffffff)),
        prevHash.slice().reverse(),
        u32(0),
        Uint8Array.of(script.length),
        script,
        u64(100000n),
        u32(0xffffffff),
        sha256d(concatBytes(u64(90000n), Uint8Array.of(outScript.length), outScript)),
        u32(0),
        u32(0x41),
      ),
    );
    expect(signature).toBeDefined();
    expect(secp256k1.verify(signature!, digest, key.publicKey!, { prehash: false, format: 'der' })).toBe(true);
    // The scriptSig carries the signature with its 0x41 sighash byte, then the key.
    const scriptSig = concatBytes(Uint8Array.of(signature!.length + 1), signature!, Uint8Array.of(0x41, 33), key.publicKey!);
    const expected = concatBytes(
      u32(1),
      Uint8Array.of(1),
      prevHash.slice().reverse(),
      u32(0),
      Uint8Array.of(scriptSig.length),
      scriptSig,
      u32(0xffffffff),
      Uint8Array.of(1),
      u64(90000n),
      Uint8Array.of(outScript.length),
      outScript,
      u32(0),
    );
    expect(Buffer.from(tx).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  });
});
