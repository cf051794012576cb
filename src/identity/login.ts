/**
 * The device side of "Log in with Trezor": ask the Trezor to sign a server's challenge with the
 * SLIP-13 key of a site (SignIdentity), check the answer on the host, and hand back a plain,
 * JSON-ready object the page posts to the server's verifyLogin().
 *
 * It reaches the device only through the Trezor object it is given (`typedCall`), and imports
 * the session layer as types only, so the identity entry carries no device or transport code.
 */
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import type { Trezor } from '../session/trezor.js';
import {
  IDENTITY_CURVES,
  MAX_CHALLENGE_HIDDEN,
  MAX_CHALLENGE_VISUAL,
  fromHex,
  identityAddress,
  parseIdentity,
  toHex,
  verifyIdentitySignature,
  type Identity,
  type IdentityCurve,
} from './slip13.js';

export interface LoginParameters {
  /** The server's hidden challenge: hex (as createChallenge gives it) or bytes. At most 512 bytes. */
  challengeHidden: string | Uint8Array;
  /** The text the device shows under the site (createChallenge puts the time there). At most 255 bytes. */
  challengeVisual: string;
  /** The site: a URI ("https://example.com", "https://user@example.com/login") or its parts. */
  identity: string | Identity;
  /** Default 'secp256k1' (the web-login form with an address); 'nist256p1' for ssh-style keys, 'ed25519' for ssh/gpg/signify. */
  curve?: IdentityCurve;
  signal?: AbortSignal;
}

/** What the device signed, ready for JSON.stringify and verifyLogin({ response }). */
export interface LoginResponse {
  identity: Identity;
  /** Hex, as sent. */
  challengeHidden: string;
  challengeVisual: string;
  curve: IdentityCurve;
  /** The identity key, hex (33 bytes). Stable per seed, passphrase and site: use it as the account id. */
  publicKey: string;
  /** SignedIdentity.signature, hex (65 bytes). */
  signature: string;
  /** P2PKH address of the key (secp256k1 only). */
  address?: string;
}

/** A string field's UTF-8 byte length, checked. */
function checkText(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw invalidParameter(field, `expected a string, got ${describeValue(value)}`);
  if (new TextEncoder().encode(value).length > max) throw invalidParameter(field, `at most ${max} bytes of UTF-8`);
  return value;
}

/**
 * Sign a login challenge with the Trezor (SignIdentity, SLIP-13). The user confirms the site and
 * the visual challenge on the device. The signature is verified on the host before it is returned
 * (VerificationFailed otherwise).
 * @example
 * const challenge = await (await fetch('/login/challenge')).json();
 * const response = await login(trezor, { ...challenge, identity: location.origin });
 * await fetch('/login/verify', { method: 'POST', body: JSON.stringify(response) });
 */
export async function login(trezor: Trezor, params: LoginParameters): Promise<LoginResponse> {
  if (typeof params !== 'object' || params === null) throw invalidParameter('params', 'expected { challengeHidden, challengeVisual, identity }');
  const identity = parseIdentity(params.identity);
  let hidden: Uint8Array | undefined;
  if (params.challengeHidden instanceof Uint8Array) hidden = params.challengeHidden.slice();
  else if (typeof params.challengeHidden === 'string') hidden = fromHex(params.challengeHidden);
  if (!hidden) throw invalidParameter('challengeHidden', `expected hex or a Uint8Array, got ${describeValue(params.challengeHidden)}`);
  if (hidden.length > MAX_CHALLENGE_HIDDEN) throw invalidParameter('challengeHidden', `at most ${MAX_CHALLENGE_HIDDEN} bytes`);
  const visual = checkText('challengeVisual', params.challengeVisual, MAX_CHALLENGE_VISUAL);
  const curve = params.curve ?? 'secp256k1';
  if (!IDENTITY_CURVES.includes(curve)) throw invalidParameter('curve', `expected one of ${IDENTITY_CURVES.join(', ')}, got ${describeValue(curve)}`);
  if (curve === 'ed25519' && !['ssh', 'gpg', 'signify'].includes(identity.proto ?? '')) {
    throw invalidParameter('curve', 'ed25519 signs only ssh, gpg and signify identities');
  }

  const signed = await trezor.typedCall(
    'SignIdentity',
    {
      identity: { ...identity },
      challenge_hidden: hidden,
      challenge_visual: visual,
      ...(curve === 'secp256k1' ? {} : { ecdsa_curve_name: curve }),
    },
    'SignedIdentity',
    { signal: params.signal },
  );
  const publicKey = signed.public_key;
  const valid = verifyIdentitySignature({ identity, challengeHidden: hidden, challengeVisual: visual, curve, publicKey, signature: signed.signature });
  if (!valid) throw new TrezorError('VerificationFailed', 'The identity signature the device returned does not verify for its public key');
  const response: LoginResponse = {
    identity,
    challengeHidden: toHex(hidden),
    challengeVisual: visual,
    curve,
    publicKey: toHex(publicKey),
    signature: toHex(signed.signature),
  };
  if (curve === 'secp256k1') {
    const address = identityAddress(publicKey);
    if (signed.address !== undefined && signed.address !== address) {
      throw new TrezorError('VerificationFailed', 'The address the device returned is not the one of its public key');
    }
    response.address = address;
  }
  return response;
}
