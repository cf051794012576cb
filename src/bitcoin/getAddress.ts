/**
 * Receive addresses (GetAddress → Address, shared PROTOCOL.md §7.1).
 *
 * The script type follows the path's purpose unless given, and is always sent explicitly (the
 * firmware's default is P2PKH). With `show: true` the device displays the address and waits for
 * the user (ButtonRequest Address), which is how a wallet proves to the user that an address
 * belongs to the device. The answer is checked to be an address of the requested coin and type.
 * A taproot address from firmware that predates taproot (Trezor One < 1.10.4, Core < 2.4.3) is
 * refused with NotSupported before anything is sent.
 */
import { TrezorError } from '../errors.js';
import { parsePath, type Path } from '../path.js';
import { requireFirmware } from '../session/firmware.js';
import { expectType, type Trezor } from '../session/trezor.js';
import { addressScript, addressType } from './address.js';
import { MULTISIG_INPUT_SCRIPT_TYPE, SORTED_MULTISIG_FIRMWARE, multisigRequest, type MultisigParameters } from './multisig.js';
import { INPUT_SCRIPT_TYPE, getCoin, requireTaproot, resolveScriptType, type CoinName, type ScriptType } from './coins.js';

export interface GetAddressParameters {
  /** Key path, e.g. "m/84'/0'/0'/0/0". */
  path: Path;
  /** Firmware coin name, default 'Bitcoin'. */
  coin?: CoinName;
  /** Inferred from the path's purpose (44/49/84/86) when omitted. */
  scriptType?: ScriptType;
  /** Show the address on the device and wait for confirmation. */
  show?: boolean;
  /**
   * A multisig address of these cosigners (the device's key at `path` among them), each
   * account xpub derived along the last two steps of `path`; `scriptType` is then ignored.
   * `sorted` (BIP-67) needs firmware that sorts: Trezor One 1.13.0, Core 2.8.7 (NotSupported
   * before); on older firmware pass the xpubs in the order of that address's keys.
   */
  multisig?: MultisigParameters;
  signal?: AbortSignal;
}

/**
 * The address at `path`, or the multisig address of `multisig` (with the device's key at `path`).
 * @example await getAddress(trezor, { path: "m/84'/0'/0'/0/0" }) // 'bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk'
 */
export async function getAddress(trezor: Trezor, params: GetAddressParameters): Promise<string> {
  const { path, coin: coinName, scriptType, show, signal } = params ?? ({} as GetAddressParameters);
  const coin = getCoin(coinName);
  const addressN = parsePath(path);
  if (params.multisig !== undefined) {
    // The device derives the cosigners' keys (and sorts them) itself; the host checks the form.
    const { type, message } = multisigRequest(params.multisig, addressN);
    if (message.pubkeys_order) requireFirmware(trezor.features, SORTED_MULTISIG_FIRMWARE.one, SORTED_MULTISIG_FIRMWARE.core, 'Sorted (BIP-67) multisig addresses');
    const answer = await trezor.call(
      'GetAddress',
      { address_n: addressN, coin_name: coin.name, show_display: show === true, script_type: MULTISIG_INPUT_SCRIPT_TYPE[type], multisig: message },
      { signal },
    );
    const { address } = expectType(answer, 'Address');
    const script = addressScript(coin, address);
    if (!script || !(type === 'p2wsh' ? script.length === 34 && script[0] === 0 : script[0] === 0xa9)) {
      throw new TrezorError('VerificationFailed', `The device returned ${JSON.stringify(address)}, not a ${coin.name} ${type} address`);
    }
    return address;
  }
  const type = resolveScriptType(addressN, scriptType, coin);
  if (type === 'p2tr') requireTaproot(trezor.features, 'Taproot addresses');
  const answer = await trezor.call(
    'GetAddress',
    { address_n: addressN, coin_name: coin.name, show_display: show === true, script_type: INPUT_SCRIPT_TYPE[type] },
    { signal },
  );
  const { address } = expectType(answer, 'Address');
  if (addressType(coin, address) !== type) {
    throw new TrezorError('VerificationFailed', `The device returned ${JSON.stringify(address)}, not a ${coin.name} ${type} address`);
  }
  return address;
}
