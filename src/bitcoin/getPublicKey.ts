/**
 * Extended public keys (GetPublicKey → PublicKey, shared PROTOCOL.md §7.2) and BIP-380 output
 * descriptors of accounts.
 *
 * The device answers with the raw node (depth, parent fingerprint, child number, chain code,
 * public key) and the same node serialised as an xpub whose version bytes follow SLIP-132 for
 * the script type (xpub/ypub/zpub, tpub/upub/vpub …; plain for taproot or with
 * `ignoreXpubMagic`). The host re-derives that string from the raw node and rejects any
 * disagreement, so what the caller gets is consistent. A taproot key (and so a tr() descriptor)
 * from firmware that predates taproot (Trezor One < 1.10.4, Core < 2.4.3) is refused with
 * NotSupported before anything is sent.
 *
 * Descriptors (BIP-380/381/382/386) are built on the host:
 * `wpkh([<root fingerprint>/84h/0h/0h]<xpub>/<0;1>/*)#<checksum>`, always with the plain
 * xpub version, as Bitcoin Core and the firmware write them. The checksum is BIP-380's
 * 8-character BCH code over the descriptor text.
 */
import { TrezorError, invalidParameter } from '../errors.js';
import { HARDENED, formatPath, parsePath, type Path } from '../path.js';
import { expectType, type Trezor } from '../session/trezor.js';
import { INPUT_SCRIPT_TYPE, getCoin, requireTaproot, resolveScriptType, scriptTypeFromPath, xpubVersionFor, type CoinInfo, type CoinName, type ScriptType } from './coins.js';
import { hash160 } from './address.js';
import { encodeXpub } from './xpub.js';
import { multisigDescriptor, type MultisigDescriptorParameters } from './multisig.js';

export interface GetPublicKeyParameters {
  /** Key path, e.g. "m/84'/0'/0'". */
  path: Path;
  /** Firmware coin name, default 'Bitcoin'. */
  coin?: CoinName | CoinInfo;
  /** Picks the SLIP-132 version; inferred from the purpose, plain xpub for other paths. */
  scriptType?: ScriptType;
  /** Plain xpub/tpub version whatever the script type. */
  ignoreXpubMagic?: boolean;
  /** Show the key on the device. */
  show?: boolean;
  signal?: AbortSignal;
}

export interface GetPublicKeyReturnType {
  /** Extended public key (SLIP-132 version for the script type). */
  xpub: string;
  /** Compressed public key, 33 bytes. */
  publicKey: Uint8Array;
  chainCode: Uint8Array;
  /** Parent fingerprint of this node (BIP-32), as a u32. */
  fingerprint: number;
  /**
   * Fingerprint of the master key (BIP-32 key origin). Firmware before 1.9.4 / 2.3.5 does not
   * report it: then it comes from the depth-1 key on the path (one more GetPublicKey).
   */
  rootFingerprint: number;
  depth: number;
  childNumber: number;
  /** The path, "m/84'/0'/0'" style. */
  path: string;
  /** The script type the version bytes stand for. */
  scriptType: ScriptType;
}

/** The script type for the key's version bytes; a path outside 44/49/84/86 without one gets the plain version. */
function optionalScriptType(addressN: number[], scriptType: ScriptType | undefined, coin: CoinInfo): ScriptType {
  if (scriptType === undefined && scriptTypeFromPath(addressN) === undefined) return 'p2pkh';
  return resolveScriptType(addressN, scriptType, coin);
}

/**
 * The extended public key at `path`.
 * @example const { xpub } = await getPublicKey(trezor, { path: "m/84'/0'/0'" }) // 'zpub6rFR7y4Q2Aij…'
 */
export async function getPublicKey(trezor: Trezor, params: GetPublicKeyParameters): Promise<GetPublicKeyReturnType> {
  const { path, coin: coinName, scriptType, ignoreXpubMagic, show, signal } = params ?? ({} as GetPublicKeyParameters);
  const coin = getCoin(coinName);
  const addressN = parsePath(path);
  const type = optionalScriptType(addressN, scriptType, coin);
  if (type === 'p2tr') requireTaproot(trezor.features, 'Taproot extended public keys');
  const answer = await trezor.call(
    'GetPublicKey',
    {
      address_n: addressN,
      coin_name: coin.name,
      show_display: show === true,
      script_type: INPUT_SCRIPT_TYPE[type],
      ignore_xpub_magic: ignoreXpubMagic === true,
    },
    { signal },
  );
  const { node, xpub, root_fingerprint } = expectType(answer, 'PublicKey');
  const mismatch = () => new TrezorError('VerificationFailed', 'The extended key the device returned does not match its node or the requested path');
  // Sizes first: encodeXpub cannot serialise a node with a longer key or chain code.
  // A PublicKey without its node (decoding does not insist on required fields) fails here too.
  if (node?.public_key?.length !== 33 || node.chain_code?.length !== 32) throw mismatch();
  const expected = encodeXpub({
    version: xpubVersionFor(coin, type, ignoreXpubMagic === true),
    depth: node.depth,
    parentFingerprint: node.fingerprint,
    childNumber: node.child_num,
    chainCode: node.chain_code,
    publicKey: node.public_key,
  });
  const last = addressN[addressN.length - 1];
  if (xpub !== expected || node.depth !== addressN.length || (last !== undefined && node.child_num !== last)) throw mismatch();
  let rootFingerprint = root_fingerprint ?? undefined;
  if (rootFingerprint === undefined) {
    // Older firmware (trezorlib does the same): the master key's fingerprint is the parent
    // fingerprint of any depth-1 node, and the key's own for the master itself.
    if (addressN.length === 0) {
      const id = hash160(node.public_key);
      rootFingerprint = new DataView(id.buffer, id.byteOffset).getUint32(0);
    } else if (addressN.length === 1) rootFingerprint = node.fingerprint;
    else rootFingerprint = (await getPublicKey(trezor, { path: addressN.slice(0, 1), coin, scriptType: type, ignoreXpubMagic: true, signal })).fingerprint;
  }
  return {
    xpub,
    publicKey: node.public_key,
    chainCode: node.chain_code,
    fingerprint: node.fingerprint,
    rootFingerprint,
    depth: node.depth,
    childNumber: node.child_num,
    path: formatPath(addressN),
    scriptType: type,
  };
}

// BIP-380 descriptor checksum.
const INPUT_CHARSET = '0123456789()[],\'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#"\\ ';
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn];

function polymod(symbols: number[]): bigint {
  let chk = 1n;
  for (const value of symbols) {
    const top = chk >> 35n;
    chk = ((chk & 0x7ffffffffn) << 5n) ^ BigInt(value);
    for (let i = 0; i < 5; i++) if ((top >> BigInt(i)) & 1n) chk ^= GENERATOR[i]!;
  }
  return chk;
}

/**
 * The 8-character BIP-380 checksum of a descriptor (without its `#…` part).
 * @example descriptorChecksum("pkh([5c9e228d/44h/0h/0h]xpub6BiV…/<0;1>/*)") // 'm2cjewq5'
 */
export function descriptorChecksum(descriptor: string): string {
  const symbols: number[] = [];
  const groups: number[] = [];
  for (const ch of descriptor) {
    const v = INPUT_CHARSET.indexOf(ch);
    if (v < 0) throw invalidParameter('descriptor', `character ${JSON.stringify(ch)} is not allowed in a descriptor`);
    symbols.push(v & 31);
    groups.push(v >> 5);
    if (groups.length === 3) {
      symbols.push(groups[0]! * 9 + groups[1]! * 3 + groups[2]!);
      groups.length = 0;
    }
  }
  if (groups.length === 1) symbols.push(groups[0]!);
  else if (groups.length === 2) symbols.push(groups[0]! * 3 + groups[1]!);
  const checksum = polymod(symbols.concat([0, 0, 0, 0, 0, 0, 0, 0])) ^ 1n;
  let out = '';
  for (let i = 0; i < 8; i++) out += CHECKSUM_CHARSET[Number((checksum >> BigInt(5 * (7 - i))) & 31n)];
  return out;
}

const WRAP: Record<ScriptType, (key: string) => string> = {
  p2pkh: (k) => `pkh(${k})`,
  'p2sh-p2wpkh': (k) => `sh(wpkh(${k}))`,
  p2wpkh: (k) => `wpkh(${k})`,
  p2tr: (k) => `tr(${k})`,
};

/**
 * A descriptor string with its checksum, from its parts.
 * @example accountDescriptor('p2wpkh', 0x5c9e228d, [0x80000054, 0x80000000, 0x80000000], 'xpub6DDU…')
 */
export function accountDescriptor(scriptType: ScriptType, rootFingerprint: number, addressN: readonly number[], xpub: string): string {
  const origin = [
    (rootFingerprint >>> 0).toString(16).padStart(8, '0'),
    ...addressN.map((n) => (n >= HARDENED ? `${n - HARDENED}h` : String(n))),
  ].join('/');
  const body = WRAP[scriptType](`[${origin}]${xpub}/<0;1>/*`);
  return `${body}#${descriptorChecksum(body)}`;
}

export interface GetAccountDescriptorParameters {
  /** Account path, e.g. "m/84'/0'/0'". */
  path: Path;
  coin?: CoinName | CoinInfo;
  scriptType?: ScriptType;
  /**
   * A multisig account: the other cosigners' account keys; the device's own key at `path` is
   * added, and the descriptor is `wsh(sortedmulti(…))` (or `sh(wsh(…))` / `sh(…)`, `multi`).
   */
  multisig?: Omit<MultisigDescriptorParameters, 'cosigners'> & { cosigners: MultisigDescriptorParameters['cosigners'] };
  signal?: AbortSignal;
}

/**
 * The output descriptor of an account: receive and change chains (`/<0;1>/*`).
 * @example await getAccountDescriptor(trezor, { path: "m/84'/0'/0'" }) // 'wpkh([5c9e228d/84h/0h/0h]xpub6DDU…/<0;1>/*)#u9auedf8'
 */
export async function getAccountDescriptor(trezor: Trezor, params: GetAccountDescriptorParameters): Promise<string> {
  const { path, coin, scriptType, signal } = params ?? ({} as GetAccountDescriptorParameters);
  const addressN = parsePath(path);
  if (params.multisig !== undefined) {
    const { multisig } = params;
    if (!Array.isArray(multisig.cosigners)) throw invalidParameter('multisig.cosigners', 'expected the other cosigners\' account keys');
    multisigDescriptor({ ...multisig, cosigners: [...multisig.cosigners] }); // InvalidParameters before the device is asked
    const own = await getPublicKey(trezor, { path: addressN, coin, ignoreXpubMagic: true, signal });
    const others = multisig.cosigners.filter((c) => c.xpub !== own.xpub);
    return multisigDescriptor({ ...multisig, cosigners: [{ xpub: own.xpub, path: addressN, rootFingerprint: own.rootFingerprint }, ...others] });
  }
  const type = resolveScriptType(addressN, scriptType, getCoin(coin));
  const key = await getPublicKey(trezor, { path: addressN, coin, scriptType: type, ignoreXpubMagic: true, signal });
  return accountDescriptor(type, key.rootFingerprint, addressN, key.xpub);
}
