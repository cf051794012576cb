/**
 * Receive addresses (GetAddress → Address, shared PROTOCOL.md §7.1).
 *
 * The script type follows the path's purpose unless given, and is always sent explicitly (the
 * firmware's default is P2PKH). With `show: true` the device displays the address and waits for
 * the user (ButtonRequest Address), which is how a wallet proves to the user that an address
 * belongs to the device. The answer is checked to be an address of the requested coin and type,
 * and a shown address also against the address derived on the host from the account's
 * extended key (a second, silent answer), so the user never confirms an address that is not
 * the path's.
 * A taproot address from firmware that predates taproot (Trezor One < 1.10.4, Core < 2.4.3) is
 * refused with NotSupported before anything is sent.
 */
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import { HARDENED, checkAddressPath, formatPath, parsePath, type Path } from '../path.js';
import { requireFirmware } from '../session/firmware.js';
import { expectType, type Trezor } from '../session/trezor.js';
import { addressScript, addressType, keyScript, scriptAddress } from './address.js';
import { derivePublicKey } from './ckd.js';
import { MULTISIG_INPUT_SCRIPT_TYPE, SORTED_MULTISIG_FIRMWARE, multisigRequest, type MultisigParameters } from './multisig.js';
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
  checkAddressPath(addressN);
  if (show !== undefined && typeof show !== 'boolean') throw invalidParameter('show', `expected a boolean, got ${describeValue(show)}`);
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
  if (show === true) {
    const derived = await silentAddress(trezor, addressN, coin, type, signal);
    if (derived !== address) {
      throw new TrezorError('VerificationFailed', `The device showed ${JSON.stringify(address)}, but the path's key gives ${JSON.stringify(derived)}`);
    }
  }
  return address;
}

export interface GetAddressesParameters {
  /** Key paths, e.g. ["m/84'/0'/0'/0/0", "m/84'/0'/0'/0/1"]; the answer keeps their order. */
  paths: Path[];
  /** Firmware coin name, default 'Bitcoin'. */
  coin?: CoinName | CoinInfo;
  /** For every path; by default each path's purpose (44/49/84/86) decides. */
  scriptType?: ScriptType;
  signal?: AbortSignal;
}

/**
 * The addresses of several paths, in order, asked silently in one exclusive flow (no other
 * call interleaves). Each answer is checked as getAddress checks a silent one: an address of the
 * coin and of the path's script type. Every path is checked before anything is sent.
 * @example const [a0, a1] = await getAddresses(trezor, { paths: ["m/84'/0'/0'/0/0", "m/84'/0'/0'/0/1"] })
 */
export async function getAddresses(trezor: Trezor, params: GetAddressesParameters): Promise<string[]> {
  const { paths, coin: coinName, scriptType, signal } = params ?? ({} as GetAddressesParameters);
  if (!Array.isArray(paths)) throw invalidParameter('paths', `expected an array of paths, got ${describeValue(paths)}`);
  const coin = getCoin(coinName);
  const requests = paths.map((path, i) => {
    const addressN = parsePath(path, `paths[${i}]`);
    checkAddressPath(addressN, `paths[${i}]`);
    return { addressN, type: resolveScriptType(addressN, scriptType, coin, scriptType === undefined ? `paths[${i}]` : 'scriptType') };
  });
  if (requests.some((r) => r.type === 'p2tr')) requireTaproot(trezor.features, 'Taproot addresses');
  if (requests.length === 0) return [];
  return trezor.exclusive(async (call) => {
    const addresses: string[] = [];
    for (const { addressN, type } of requests) {
      const answer = await call('GetAddress', { address_n: addressN, coin_name: coin.name, show_display: false, script_type: INPUT_SCRIPT_TYPE[type] }, { signal });
      const { address } = expectType(answer, 'Address');
      if (addressType(coin, address) !== type) {
        throw new TrezorError('VerificationFailed', `The device returned ${JSON.stringify(address)} for ${formatPath(addressN)}, not a ${coin.name} ${type} address`);
      }
      addresses.push(address);
    }
    return addresses;
  });
}

/**
 * The address at `addressN` without the screen: derived on the host from the verified extended
 * key of its hardened prefix (the account, for BIP-44-shaped paths), or, when the path has no
 * unhardened tail under an account-deep prefix, asked again silently.
 */
async function silentAddress(trezor: Trezor, addressN: number[], coin: CoinInfo, type: ScriptType, signal?: AbortSignal): Promise<string | undefined> {
  let cut = addressN.length;
  while (cut > 0 && addressN[cut - 1]! < HARDENED) cut--;
  if (cut >= 3 && cut < addressN.length) {
    const prefix = addressN.slice(0, cut);
    const answer = await trezor.call('GetPublicKey', { address_n: prefix, coin_name: coin.name, script_type: INPUT_SCRIPT_TYPE[type] }, { signal });
    const { node } = expectType(answer, 'PublicKey');
    if (node?.depth !== cut || node.child_num !== prefix[cut - 1] || node.public_key?.length !== 33 || node.chain_code?.length !== 32) {
      throw new TrezorError('VerificationFailed', 'The device returned the key of another node than the address path');
    }
    const publicKey = derivePublicKey(node.public_key, node.chain_code, addressN.slice(cut));
    return publicKey && scriptAddress(coin, keyScript(type, publicKey).script);
  }
  const answer = await trezor.call('GetAddress', { address_n: addressN, coin_name: coin.name, show_display: false, script_type: INPUT_SCRIPT_TYPE[type] }, { signal });
  return expectType(answer, 'Address').address;
}
