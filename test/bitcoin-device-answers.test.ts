// Malformed answers from the device are VerificationFailed: the caller's parameters were fine,
// so they must surface neither as InvalidParameters nor as a plain RangeError.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { keyScript, scriptAddress } from '../src/bitcoin/address.js';
import { COINS } from '../src/bitcoin/coins.js';
import { getAddress, getPublicKey, messageDigest, signMessage } from '../src/bitcoin/index.js';
import { messageTypeId } from '../src/messages/index.js';
import { encodeReports } from '../src/protocol/v1.js';
import { connect } from '../src/session/connect.js';
import { features, scriptedTransport, type ScriptedDevice } from './support/scripted-device.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? `other: ${String(e)}`;
  }
  return 'resolved';
}

async function connected(answer: (d: ScriptedDevice) => Promise<void>) {
  const { transport } = scriptedTransport(async (d) => {
    await d.expect('Initialize');
    d.send('Features', features());
    await answer(d);
  });
  return connect({ transport, sessionId: null });
}

describe('bitcoin: malformed device answers are VerificationFailed', () => {
  it('signMessage: an answer whose address is not one of the coin', async () => {
    const trezor = await connected(async (d) => {
      await d.expect('SignMessage');
      d.send('MessageSignature', { address: 'not-an-address', signature: new Uint8Array(65).fill(31) });
    });
    expect(await codeOf(signMessage(trezor, { path: "m/84'/0'/0'/0/0", message: 'hi' }))).toBe('VerificationFailed');
  });

  it('signMessage: a signature that is not 65 bytes', async () => {
    const trezor = await connected(async (d) => {
      await d.expect('SignMessage');
      d.send('MessageSignature', { address: 'bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk', signature: new Uint8Array(64) });
    });
    expect(await codeOf(signMessage(trezor, { path: "m/84'/0'/0'/0/0", message: 'hi' }))).toBe('VerificationFailed');
  });

  it('signMessage: a valid signature, but by a P2PKH address when P2WPKH was asked for', async () => {
    const key = new Uint8Array(32).fill(7);
    const publicKey = secp256k1.getPublicKey(key, true);
    const recovered = secp256k1.sign(messageDigest(COINS.Bitcoin, new TextEncoder().encode('hi')), key, { prehash: false, format: 'recovered' });
    const signature = Uint8Array.of(31 + recovered[0]!, ...recovered.subarray(1)); // compressed P2PKH header
    const address = scriptAddress(COINS.Bitcoin, keyScript('p2pkh', publicKey).script)!;
    const trezor = await connected(async (d) => {
      await d.expect('SignMessage');
      d.send('MessageSignature', { address, signature });
    });
    expect(await codeOf(signMessage(trezor, { path: "m/84'/0'/0'/0/0", message: 'hi' }))).toBe('VerificationFailed');
  });

  it('getPublicKey: a node with a 65-byte public key', async () => {
    const trezor = await connected(async (d) => {
      await d.expect('GetPublicKey');
      const node = { depth: 3, fingerprint: 0, child_num: 0x80000000, chain_code: new Uint8Array(32), public_key: new Uint8Array(65).fill(4) };
      d.send('PublicKey', { node, xpub: 'xpub' });
    });
    expect(await codeOf(getPublicKey(trezor, { path: "m/84'/0'/0'" }))).toBe('VerificationFailed');
  });

  // Found by npm run fuzz (a PublicKey whose declared length was zeroed): a TypeError before.
  // The answer is written by hand: the encoder refuses a PublicKey without its required node.
  const nodeless = encodeReports(messageTypeId('PublicKey'), Uint8Array.of(0x12, 4, 0x78, 0x70, 0x75, 0x62)); // xpub: "xpub"
  it('getPublicKey and getAddress({ show }): a PublicKey without its node', async () => {
    const trezor = await connected(async (d) => {
      await d.expect('GetPublicKey');
      d.sendRaw(nodeless);
    });
    expect(await codeOf(getPublicKey(trezor, { path: "m/84'/0'/0'" }))).toBe('VerificationFailed');
    const shown = await connected(async (d) => {
      await d.expect('GetAddress');
      d.send('Address', { address: scriptAddress(COINS.Bitcoin, keyScript('p2wpkh', secp256k1.getPublicKey(new Uint8Array(32).fill(1), true)).script)! });
      await d.expect('GetPublicKey');
      d.sendRaw(nodeless);
    });
    expect(await codeOf(getAddress(shown, { path: "m/84'/0'/0'/0/0", show: true }))).toBe('VerificationFailed');
  });
});
