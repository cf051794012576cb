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
import { expectType, type Trezor } from '../session/trezor.js';
import { addressType } from './address.js';
import { INPUT_SCRIPT_TYPE, getCoin, requireTaproot, resolveScriptType, type CoinInfo, type CoinName, type ScriptType } from './coins.js';

export interface GetAddressParameters {
  /** Key path, e.g. "m/84'/0'/0'/0/0". */
  path: Path;
  /** Firmware coin name, default 'Bitcoin'. */
  coin?: CoinName | CoinInfo;
  /** Inferred from the path's purpose (44/49/84/86) when omitted. */
  scriptType?: ScriptType;
  /** Show the address on the device and wait for confirmation. */
  show?: boolean;
  signal?: AbortSignal;
}

/**
 * The address at `path`.
 * @example await getAddress(trezor, { path: "m/84'/0'/0'/0/0" }) // 'bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk'
 */
export async function getAddress(trezor: Trezor, params: GetAddressParameters): Promise<string> {
  const { path, coin: coinName, scriptType, show, signal } = params ?? ({} as GetAddressParameters);
  const coin = getCoin(coinName);
  const addressN = parsePath(path);
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
