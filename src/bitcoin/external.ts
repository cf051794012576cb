/**
 * External inputs: inputs of a PSBT that the device does not own (a PayJoin or coinjoin
 * partner's coins, a presigned input of another wallet). The firmware takes them as
 * InputScriptType EXTERNAL with their scriptPubKey and amount, includes them in the
 * transaction and signs only its own inputs; it must be able to tell that they are not its own,
 * or a host could make it pay a fee from the user's coins that look like someone else's:
 *
 * - a presigned input (the PSBT carries its final scriptSig / witness, BIP-174
 *   PSBT_IN_FINAL_SCRIPTSIG / PSBT_IN_FINAL_SCRIPTWITNESS): Core verifies the owner's signature
 *   against the previous transaction (core apps/bitcoin/sign_tx/bitcoin.py
 *   verify_external_input); the Trezor One cannot, and takes one only with relaxed safety
 *   checks ("Unverifiable external input", legacy signing.c);
 * - an input still to be signed by its owner: it needs a SLIP-19 proof of ownership, which
 *   the device checks is not its own (signed by a key the device does not have).
 *
 * BIP-174 has no field for a SLIP-19 proof, so this library reads it from a proprietary input
 * field (PSBT_IN_PROPRIETARY, 0xFC) with the identifier "SLIP-0019": subtype 0 holds the proof,
 * subtype 1 the commitment data it signs (coinjoin; absent = empty). `ownershipProofFields`
 * builds them for @scure/btc-signer's `updateInput(i, { proprietary })`.
 *
 * Without a signature or a proof, an external input is refused while the device's safety
 * checks are strict (the firmware would refuse it); with relaxed checks newer firmware asks the
 * user to accept the unverified input.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { encodeWitness } from './rawTx.js';
import { invalidParameter } from '../errors.js';
import type { TxInput } from '../messages/index.js';

/** The proprietary identifier under which a PSBT input carries its SLIP-19 proof. */
const IDENTIFIER = /* @__PURE__ */ new TextEncoder().encode('SLIP-0019');
const PROOF = 0;
const COMMITMENT = 1;

function proprietaryKey(subtype: number): Uint8Array {
  return concatBytes(Uint8Array.of(IDENTIFIER.length), IDENTIFIER, Uint8Array.of(subtype));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The proprietary PSBT input fields that carry a SLIP-19 ownership proof (and its commitment data).
 * @example tx.updateInput(0, { proprietary: ownershipProofFields(proof) })
 */
export function ownershipProofFields(proof: Uint8Array, commitmentData?: Uint8Array): [Uint8Array, Uint8Array][] {
  if (!(proof instanceof Uint8Array) || proof.length === 0) throw invalidParameter('proof', 'expected the SLIP-19 proof bytes');
  const fields: [Uint8Array, Uint8Array][] = [[proprietaryKey(PROOF), proof]];
  if (commitmentData !== undefined) fields.push([proprietaryKey(COMMITMENT), commitmentData]);
  return fields;
}

/** What an external input brings into the transaction, besides its outpoint. */
export interface ExternalInput {
  /** The TxInput fields of an EXTERNAL input (without outpoint, sequence and amount). */
  message: Pick<TxInput, 'script_type' | 'script_pubkey' | 'script_sig' | 'witness' | 'ownership_proof' | 'commitment_data'>;
  scriptSig: Uint8Array;
  witness: Uint8Array[];
}

/**
 * Read an input the device does not own. `strict`: the device's safety checks are strict;
 * `verifiesSignatures`: the firmware checks a presigned input's signature (Core, not the One).
 * InvalidParameters (naming `field`) when the device would refuse it.
 * @example externalInput(input, prevOut.script, 'psbt.inputs[1]', true, true)
 */
export function externalInput(
  map: { finalScriptSig?: Uint8Array; finalScriptWitness?: Uint8Array[]; proprietary?: [Uint8Array, Uint8Array][] },
  scriptPubKey: Uint8Array,
  field: string,
  strict: boolean,
  verifiesSignatures: boolean,
): ExternalInput {
  const scriptSig = map.finalScriptSig ?? new Uint8Array(0);
  const witness = map.finalScriptWitness ?? [];
  const find = (subtype: number) => map.proprietary?.find(([key]) => equal(key, proprietaryKey(subtype)))?.[1];
  const proof = find(PROOF);
  const commitment = find(COMMITMENT);
  if (commitment !== undefined && proof === undefined) throw invalidParameter(`${field}.proprietary`, 'has SLIP-19 commitment data without a proof');
  const signed = scriptSig.length > 0 || witness.length > 0;
  if (strict && !proof) {
    if (!signed) {
      throw invalidParameter(
        `${field}.bip32Derivation`,
        'missing: the device needs the key path of each of its inputs, and another party\'s input needs its final scriptSig/witness or a SLIP-19 ownership proof (PSBT proprietary "SLIP-0019" field)',
      );
    }
    if (!verifiesSignatures) {
      throw invalidParameter(field, 'is a presigned external input: the Trezor One verifies external inputs only by a SLIP-19 ownership proof, and refuses others while safety checks are strict');
    }
  }
  const message: ExternalInput['message'] = { script_type: 'EXTERNAL', script_pubkey: scriptPubKey };
  if (signed) {
    message.script_sig = scriptSig;
    if (witness.length) message.witness = encodeWitness(witness);
  }
  if (proof) {
    message.ownership_proof = proof;
    if (commitment !== undefined) message.commitment_data = commitment;
  }
  return { message, scriptSig, witness };
}
