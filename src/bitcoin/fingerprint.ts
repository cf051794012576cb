/**
 * Which BIP-32 key origins of a PSBT are the device's. A single-wallet PSBT names one master
 * fingerprint and needs no question; a multisig PSBT (cosigners' keys) or one with another
 * wallet's inputs names several, and then the device is asked once for its master
 * fingerprint: the parent fingerprint of a depth-1 node (GetPublicKey m/<purpose>', a path
 * every firmware answers without a screen), which is the same on every firmware version.
 */
import { expectType, type Trezor } from '../session/trezor.js';
import type { CoinInfo } from './coins.js';

/**
 * The master fingerprint of the device among `fingerprints` (undefined when there are none).
 * @example await deviceFingerprint(trezor, new Map([[0x5c9e228d, [0x80000030]]]), coin)
 */
export async function deviceFingerprint(trezor: Trezor, fingerprints: ReadonlyMap<number, readonly number[]>, coin: CoinInfo, signal?: AbortSignal): Promise<number | undefined> {
  if (fingerprints.size <= 1) return fingerprints.keys().next().value;
  const [path] = fingerprints.values();
  const answer = await trezor.call('GetPublicKey', { address_n: path!.slice(0, 1), coin_name: coin.name }, { signal });
  return expectType(answer, 'PublicKey').node.fingerprint;
}
