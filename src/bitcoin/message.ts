/**
 * Signed messages (the "Bitcoin Signed Message" scheme of Bitcoin Core, extended for segwit
 * addresses as the Trezor firmware and Electrum do).
 *
 * Digest: double-SHA256 of `compactSize(len(header)) ‖ header ‖ compactSize(len(msg)) ‖ msg`,
 * header = the coin's signed_message_header ("Bitcoin Signed Message:\n").
 *
 * Signature: 65 bytes `header ‖ r ‖ s`, base64-encoded. The header byte carries the recovery id
 * and the address type:
 *
 *   27..30  P2PKH, uncompressed key      31..34  P2PKH, compressed key (or any type, "no script type")
 *   35..38  P2SH-P2WPKH                  39..42  P2WPKH
 *
 * Strings are normalised to NFC and encoded as UTF-8 before signing, as trezorlib does, so a
 * message typed in NFD signs the same as its NFC form; bytes pass through untouched.
 * verifyMessage runs entirely on the host; signMessage checks the device's answer with it.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { base64 } from '@scure/base';
import { TrezorError, invalidParameter } from '../errors.js';
import { checkAddressPath, parsePath, type Path } from '../path.js';
import { requireFirmware } from '../session/firmware.js';
import { expectType, type Trezor } from '../session/trezor.js';
import { addressScript, addressType, keyScript, scriptKind } from './address.js';
import { INPUT_SCRIPT_TYPE, getCoin, resolveScriptType, type CoinInfo, type CoinName, type ScriptType } from './coins.js';
import { compactSize, sha256d } from './sighash.js';

export interface SignMessageParameters {
  /** Key path, e.g. "m/84'/0'/0'/0/0". */
  path: Path;
  /** Text (normalised to NFC, UTF-8) or raw bytes. */
  message: string | Uint8Array;
  /** Firmware coin name, default 'Bitcoin'. */
  coin?: CoinName | CoinInfo;
  /** Address type the signature commits to; inferred from the path when omitted. */
  scriptType?: ScriptType;
  /** Bitcoin Core style header (31..34) for every address type. */
  noScriptType?: boolean;
  signal?: AbortSignal;
}

export interface SignMessageReturnType {
  /** The address of the signing key. */
  address: string;
  /** 65-byte signature, base64. */
  signature: string;
}

export interface VerifyMessageParameters {
  address: string;
  message: string | Uint8Array;
  /** base64 (as signMessage returns it) or the 65 raw bytes. */
  signature: string | Uint8Array;
  coin?: CoinName | CoinInfo;
}

/**
 * Text → NFC UTF-8; bytes unchanged.
 * @example messageBytes('e\u0301') // the bytes of 'é' (c3 a9)
 */
export function messageBytes(message: unknown, field = 'message'): Uint8Array {
  if (typeof message === 'string') return new TextEncoder().encode(message.normalize('NFC'));
  if (message instanceof Uint8Array) return message;
  throw invalidParameter(field, 'expected a string or a Uint8Array');
}

/**
 * The digest a signed message commits to.
 * @example messageDigest(getCoin('Bitcoin'), new TextEncoder().encode('hi'))
 */
export function messageDigest(coin: CoinInfo, message: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(coin.messageHeader);
  const len = compactSize(message.length);
  const data = new Uint8Array(1 + header.length + len.length + message.length);
  data[0] = header.length;
  data.set(header, 1);
  data.set(len, 1 + header.length);
  data.set(message, 1 + header.length + len.length);
  return sha256d(data);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Verify a signed message against an address on the host (no device).
 * @example verifyMessage({ address: '1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL', message: 'hi', signature })
 */
export function verifyMessage(parameters: VerifyMessageParameters): boolean {
  if (typeof parameters !== 'object' || parameters === null) throw invalidParameter('parameters', 'expected { address, message, signature, coin? }');
  const { address, message, signature, coin: coinName } = parameters;
  const coin = getCoin(coinName);
  if (typeof address !== 'string') throw invalidParameter('address', 'expected a string');
  const script = addressScript(coin, address);
  if (!script) throw invalidParameter('address', `not a ${coin.name} address`);
  const kind = scriptKind(script);
  if (kind?.type === 'witness' && kind.version === 1) {
    throw invalidParameter('address', 'taproot addresses sign messages with BIP-322, which is not supported');
  }
  let sig: Uint8Array;
  if (typeof signature === 'string') {
    try {
      sig = base64.decode(signature);
    } catch {
      throw invalidParameter('signature', 'not base64');
    }
  } else if (signature instanceof Uint8Array) sig = signature;
  else throw invalidParameter('signature', 'expected base64 text or bytes');
  if (sig.length !== 65) throw invalidParameter('signature', `expected 65 bytes, got ${sig.length}`);
  const header = sig[0]!;
  if (header < 27 || header > 42) return false;
  const recovery = (header - 27) & 3;
  const compressed = header >= 31;
  let publicKey: Uint8Array;
  try {
    const point = secp256k1.Signature.fromBytes(sig.subarray(1), 'compact')
      .addRecoveryBit(recovery)
      .recoverPublicKey(messageDigest(coin, messageBytes(message)));
    publicKey = point.toBytes(compressed);
  } catch {
    return false;
  }
  // Bitcoin Core headers (27..34) carry no address type: accept any single-key address of that key.
  const candidates: Uint8Array[] = [];
  if (header <= 34) candidates.push(keyScript('p2pkh', publicKey).script);
  if (compressed && header <= 38) candidates.push(keyScript('p2sh-p2wpkh', publicKey).script);
  if (compressed && (header <= 34 || header >= 39)) candidates.push(keyScript('p2wpkh', publicKey).script);
  return candidates.some((candidate) => equal(candidate, script));
}

/**
 * First firmware that knows SignMessage.no_script_type: legacy 1.10.4 and core 2.4.3
 * (trezor-firmware legacy/firmware/CHANGELOG.md, core/CHANGELOG.md "Support no_script_type option
 * in SignMessage").
 */
const NO_SCRIPT_TYPE_SINCE = { one: [1, 10, 4], core: [2, 4, 3] } as const;

/**
 * Sign a message with the key at `path`; the signature is checked on the host before it is
 * returned (VerificationFailed otherwise).
 * @example const { address, signature } = await signMessage(trezor, { path: "m/84'/0'/0'/0/0", message: 'hello' })
 */
export async function signMessage(trezor: Trezor, params: SignMessageParameters): Promise<SignMessageReturnType> {
  const { path, message, coin: coinName, scriptType, noScriptType, signal } = params ?? ({} as SignMessageParameters);
  const coin = getCoin(coinName);
  const addressN = parsePath(path);
  checkAddressPath(addressN);
  const type = resolveScriptType(addressN, scriptType, coin);
  if (type === 'p2tr') throw invalidParameter('scriptType', 'taproot message signing (BIP-322) is not supported by the firmware');
  const bytes = messageBytes(message);
  // Older firmware ignores the field and signs with the segwit header: refuse before sending.
  if (noScriptType) requireFirmware(trezor.features, NO_SCRIPT_TYPE_SINCE.one, NO_SCRIPT_TYPE_SINCE.core, 'Message signatures without the script type (noScriptType)');
  const answer = await trezor.call(
    'SignMessage',
    {
      address_n: addressN,
      message: bytes,
      coin_name: coin.name,
      script_type: INPUT_SCRIPT_TYPE[type],
      ...(noScriptType ? { no_script_type: true } : {}),
    },
    { signal },
  );
  const { address, signature } = expectType(answer, 'MessageSignature');
  // A malformed answer (not an address of the coin, not 65 bytes) fails verification too: the
  // caller's parameters were fine, so it must not surface as InvalidParameters.
  let valid = false;
  try {
    valid = verifyMessage({ address, message: bytes, signature, coin });
  } catch {
    valid = false;
  }
  if (!valid) throw new TrezorError('VerificationFailed', 'The signature the device returned does not verify for its address');
  // What was asked: a key of this script type, which the returned address shows.
  const signedType = addressType(coin, address);
  if (signedType !== type) {
    throw new TrezorError('VerificationFailed', `The device signed for a ${String(signedType)} address, not the ${type} one asked for`);
  }
  return { address, signature: base64.encode(signature) };
}
