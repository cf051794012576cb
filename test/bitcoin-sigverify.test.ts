// The two signature verifiers of signPsbt (src/bitcoin/sigverify.ts): OpenSSL through
// node:crypto and @noble/curves must accept exactly the same signatures, and a signature that
// does not verify must fail signPsbt's per-input check with VerificationFailed on both.
import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { RawTx } from '@scure/btc-signer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COINS } from '../src/bitcoin/coins.js';
import { createPsbt } from '../src/bitcoin/createPsbt.js';
import { Sighasher } from '../src/bitcoin/sighash.js';
import { checkInput, parsePsbt, planSigning } from '../src/bitcoin/signPsbt.js';
import { compactSignature, nobleVerifier, nodeVerifier, signatureVerifier, type SignatureVerifier } from '../src/bitcoin/sigverify.js';
import { isTrezorError } from '../src/errors.js';
import { ROOT, ROOT_FINGERPRINT, accountKey, fundingTx } from './support/bitcoin-wallet.js';
import * as nodeCrypto from 'node:crypto';

const node = nodeVerifier(nodeCrypto);
const VERIFIERS: SignatureVerifier[] = [node, nobleVerifier];

/** A DER signature of SHA-256(hashedOnce) by `secret` (low S, as noble and the firmware sign). */
function signDer(secret: Uint8Array, hashedOnce: Uint8Array): Uint8Array {
  return secp256k1.sign(sha256(hashedOnce), secret, { prehash: false, format: 'der' });
}

/** The same signature with s replaced by n - s (the high-S twin Bitcoin nodes refuse). */
function highS(der: Uint8Array): Uint8Array {
  const compact = compactSignature(der)!;
  const s = BigInt('0x' + hex.encode(compact.subarray(32)));
  const twin = secp256k1.Signature.fromBytes(compact, 'compact');
  return new secp256k1.Signature(twin.r, secp256k1.Point.Fn.ORDER - s).toBytes('der');
}

describe('the signature verifiers', () => {
  it('this Node picks OpenSSL (process.getBuiltinModule), anything without it noble', () => {
    const hasBuiltins = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === 'function';
    expect(signatureVerifier().name).toBe(hasBuiltins ? 'node' : 'noble');
  });

  // BIP-143 "Native P2WPKH" example: the second input (6 BTC, key 025476c2…) of the unsigned
  // transaction, its sigHash c37af311… and the signature the BIP gives.
  it('both accept the BIP-143 native P2WPKH example signature over the digest the Sighasher computes', () => {
    const unsigned = RawTx.decode(
      hex.decode(
        '0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000',
      ),
    );
    const publicKey = hex.decode('025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee6357');
    const hasher = new Sighasher({
      version: unsigned.version,
      lockTime: unsigned.lockTime,
      inputs: unsigned.inputs.map((input, i) => ({
        txid: input.txid.slice().reverse(), // RawTx gives the display order
        index: input.index,
        sequence: input.sequence,
        amount: i === 1 ? 600_000_000n : 625_000_000n,
        script: i === 1 ? hex.decode('00141d0f172a0ecb48aee1be1f2687d2963ae33f71a1') : hex.decode('2103c9f4836b9a4f77fc0d81f7bcb01b7f1b35916864b9476c241ce9fc198bd25432ac'),
      })),
      outputs: unsigned.outputs,
    });
    const scriptCode = hex.decode('76a9141d0f172a0ecb48aee1be1f2687d2963ae33f71a188ac');
    const once = hasher.bip143Once(1, scriptCode);
    expect(hex.encode(sha256(once))).toBe('c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670');
    const signature = hex.decode('304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb1366d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee');
    for (const v of VERIFIERS) {
      expect(v.ecdsa(signature, once, publicKey), v.name).toBe(true);
      expect(v.ecdsa(signature, hasher.bip143Once(0, scriptCode), publicKey), v.name).toBe(false);
    }
  });

  it('both refuse a flipped byte, another key, another digest, high S and non-DER forms', () => {
    const secret = secp256k1.utils.randomSecretKey();
    const publicKey = secp256k1.getPublicKey(secret, true);
    const once = sha256(Uint8Array.of(1, 2, 3));
    const der = signDer(secret, once);
    const flipped = der.slice();
    flipped[der.length - 3]! ^= 0x01;
    const otherKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true);
    const padded = Uint8Array.of(...der.subarray(0, 1), der[1]! + 1, ...der.subarray(2), 0); // trailing byte
    for (const v of VERIFIERS) {
      expect(v.ecdsa(der, once, publicKey), v.name).toBe(true);
      expect(v.ecdsa(flipped, once, publicKey), v.name).toBe(false);
      expect(v.ecdsa(der, once, otherKey), v.name).toBe(false);
      expect(v.ecdsa(der, sha256(once), publicKey), v.name).toBe(false);
      expect(v.ecdsa(highS(der), once, publicKey), v.name).toBe(false);
      expect(v.ecdsa(padded, once, publicKey), v.name).toBe(false);
      expect(v.ecdsa(der.subarray(0, der.length - 1), once, publicKey), v.name).toBe(false);
      expect(v.ecdsa(der, once, secp256k1.getPublicKey(secret, false)), v.name).toBe(false); // uncompressed key
      expect(v.ecdsa(der, once, Uint8Array.of(2, ...new Uint8Array(32).fill(0xff))), v.name).toBe(false); // x ≥ p
    }
    // The high-S twin is a valid ECDSA signature: only the low-S rule refuses it.
    expect(secp256k1.verify(highS(der), sha256(once), publicKey, { prehash: false, format: 'der', lowS: false })).toBe(true);
  });

  it('both check BIP-340 signatures alike', () => {
    const secret = secp256k1.utils.randomSecretKey();
    const message = sha256(Uint8Array.of(9));
    const signature = schnorr.sign(message, secret);
    const key = schnorr.getPublicKey(secret);
    const bad = signature.slice();
    bad[5]! ^= 0x80;
    for (const v of VERIFIERS) {
      expect(v.schnorr(signature, message, key), v.name).toBe(true);
      expect(v.schnorr(bad, message, key), v.name).toBe(false);
      expect(v.schnorr(signature.subarray(1), message, key), v.name).toBe(false);
    }
  });

  it('property: OpenSSL and noble agree on valid, mutated and foreign signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => b.some((x) => x !== 0)),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat({ max: 75 }),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('keep', 'flip', 'truncate', 'high-s', 'other-digest'),
        (seed, once, at, xor, mutation) => {
          const secret = sha256(seed); // a valid scalar with overwhelming probability
          const publicKey = secp256k1.getPublicKey(secret, true);
          let der = signDer(secret, once);
          if (mutation === 'flip') {
            der = der.slice();
            der[at % der.length]! ^= xor;
          } else if (mutation === 'truncate') der = der.subarray(0, at % der.length);
          else if (mutation === 'high-s') der = highS(der);
          const digest = mutation === 'other-digest' ? sha256(once) : once;
          const answers = VERIFIERS.map((v) => v.ecdsa(der, digest, publicKey));
          expect(answers[0]).toBe(answers[1]);
          if (mutation === 'keep') expect(answers[0]).toBe(true);
          if (mutation === 'high-s' || mutation === 'other-digest' || mutation === 'truncate') expect(answers[0]).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("signPsbt's per-input check (checkInput)", () => {
  const REGTEST_RECIPIENT = 'bcrt1qed4r6388c47kc0c40y4zve4d38mvpxauzz4d9r';
  function plan() {
    const path = "m/84'/1'/0'/0/4";
    const { raw, txid } = fundingTx(path, 'p2wpkh', 70_000n, 0, 42);
    const psbt = createPsbt({
      coin: 'Regtest',
      account: accountKey("m/84'/1'/0'", COINS.Regtest, 'p2wpkh'),
      utxos: [{ txid, vout: 0, amount: 70_000n, path, prevTx: raw }],
      outputs: [{ address: REGTEST_RECIPIENT, amount: 50_000n }],
      feeRate: 1,
      change: { path: "m/84'/1'/0'/1/0" },
    });
    const signing = planSigning(parsePsbt(psbt), COINS.Regtest, true, ROOT_FINGERPRINT, false);
    // The wallet's own key signs the BIP-143 digest: what the device would return.
    const secret = ROOT.derive(path).privateKey!;
    const publicKey = ROOT.derive(path).publicKey!;
    const scriptCode = Uint8Array.of(0x76, 0xa9, 0x14, ...signing.inputs[0]!.prevScript.subarray(2), 0x88, 0xac);
    return { signing, signature: signDer(secret, signing.sighasher.bip143Once(0, scriptCode)), publicKey };
  }

  for (const verifier of VERIFIERS) {
    it(`${verifier.name}: the key's signature passes, a tampered one is VerificationFailed`, () => {
      const { signing, signature, publicKey } = plan();
      const checked = checkInput(signing, 0, signature, verifier);
      expect(checked.witness.map(hex.encode)).toEqual([hex.encode(signature) + '01', hex.encode(publicKey)]);
      const tampered = signature.slice();
      tampered[10]! ^= 0x04;
      for (const bad of [tampered, highS(signature), undefined]) {
        let error: unknown;
        try {
          checkInput(signing, 0, bad, verifier);
        } catch (e) {
          error = e;
        }
        expect(isTrezorError(error, 'VerificationFailed')).toBe(true);
      }
    });
  }
});
