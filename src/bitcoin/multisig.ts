/**
 * Multisig (m-of-n OP_CHECKMULTISIG) as the firmware signs it: P2SH, P2SH-P2WSH and P2WSH.
 *
 *   script     OP_m <33: key 1> … <33: key n> OP_n OP_CHECKMULTISIG      5m 21… 21… 5n ae
 *   p2sh       OP_HASH160 <20: HASH160(script)> OP_EQUAL                   a9 14 … 87
 *   p2sh-p2wsh OP_HASH160 <20: HASH160(00 20 SHA256(script))> OP_EQUAL     a9 14 … 87
 *   p2wsh      OP_0 <32: SHA256(script)>                                   00 20 …
 *
 * The device does not take a script: it takes the cosigners as BIP-32 nodes
 * (MultisigRedeemScriptType: `nodes` + one relative `address_n`, or `pubkeys`, a node and path
 * per key), derives the keys, builds the script in that order and checks that its own key is one
 * of them. So the host sends the keys in the order of the script it wants, with
 * `pubkeys_order` left at PRESERVED: a BIP-67 `sortedmulti` is sorted here, which also works on
 * firmware older than the LEXICOGRAPHIC option (Core 2.4.1 ignores that field).
 *
 * From a PSBT (BIP-174) a cosigner's node is the global xpub whose key origin is a prefix of
 * the key's derivation (PSBT_GLOBAL_XPUB), derived along the rest of the path; a key without
 * one goes as a bare key (depth 0, zero chain code, empty path), as HWI does. The firmware
 * recognises a multisig change output only when every input has the same cosigner nodes
 * (crypto.c cryptoMultisigFingerprint / core multisig_fingerprint: m and the sorted nodes,
 * without their paths) and the output's keys all sit on one relative path: so change needs the
 * global xpubs. The host only proposes: the device decides, and shows as a payment whatever it
 * does not take for change.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { hex } from '@scure/base';
import { invalidParameter } from '../errors.js';
import type { HDNodeType, MultisigRedeemScriptType } from '../messages/index.js';
import { HARDENED, parsePath, type Path } from '../path.js';
import { descriptorChecksum } from './getPublicKey.js';
import { hash160 } from './address.js';
import { decodeXpub } from './xpub.js';

/** Where the multisig script sits: bare P2SH, P2WSH nested in P2SH, native P2WSH. */
export type MultisigScriptType = 'p2sh' | 'p2sh-p2wsh' | 'p2wsh';

/** InputScriptType of a multisig script type (messages-bitcoin.proto). */
export const MULTISIG_INPUT_SCRIPT_TYPE = /* @__PURE__ */ Object.freeze({
  p2sh: 'SPENDMULTISIG',
  'p2sh-p2wsh': 'SPENDP2SHWITNESS',
  p2wsh: 'SPENDWITNESS',
} as const);

/** OutputScriptType of a multisig change output. */
export const MULTISIG_CHANGE_SCRIPT_TYPE = /* @__PURE__ */ Object.freeze({
  p2sh: 'PAYTOMULTISIG',
  'p2sh-p2wsh': 'PAYTOP2SHWITNESS',
  p2wsh: 'PAYTOWITNESS',
} as const);

const OP_CHECKMULTISIG = 0xae;

function equal(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * A minimal push of `data` (direct up to 75 bytes, then OP_PUSHDATA1 / OP_PUSHDATA2).
 * @example pushData(script) // 4c 69 … for a 105-byte 2-of-3 script
 */
export function pushData(data: Uint8Array): Uint8Array {
  const n = data.length;
  const prefix = n < 0x4c ? Uint8Array.of(n) : n <= 0xff ? Uint8Array.of(0x4c, n) : Uint8Array.of(0x4d, n & 0xff, n >> 8);
  return concatBytes(prefix, data);
}

/**
 * The m-of-n script of compressed keys, in the given order (`sorted`: BIP-67 order instead).
 * InvalidParameters (naming `field`) unless 1 ≤ m ≤ n ≤ 15 and every key is 33 bytes.
 * @example multisigScript(2, [keyA, keyB, keyC], true) // 52 21… 21… 21… 53 ae
 */
export function multisigScript(m: number, pubkeys: readonly Uint8Array[], sorted = false, field = 'multisig'): Uint8Array {
  const n = pubkeys.length;
  if (n < 1 || n > 15) throw invalidParameter(`${field}.pubkeys`, `expected 1 to 15 keys, got ${n}`);
  if (!Number.isInteger(m) || m < 1 || m > n) throw invalidParameter(`${field}.m`, `expected 1 ≤ m ≤ ${n}, got ${String(m)}`);
  pubkeys.forEach((key, i) => {
    if (!(key instanceof Uint8Array) || key.length !== 33 || (key[0] !== 2 && key[0] !== 3)) {
      throw invalidParameter(`${field}.pubkeys[${i}]`, 'expected a 33-byte compressed public key');
    }
  });
  const keys = sorted ? [...pubkeys].sort(compareBytes) : pubkeys;
  return concatBytes(Uint8Array.of(0x50 + m), ...keys.map(pushData), Uint8Array.of(0x50 + n, OP_CHECKMULTISIG));
}

/**
 * The m and the keys of a bare m-of-n script of compressed keys, or undefined for any other script.
 * @example parseMultisigScript(script) // { m: 2, pubkeys: [key1, key2, key3] }
 */
export function parseMultisigScript(script: Uint8Array | undefined): { m: number; pubkeys: Uint8Array[] } | undefined {
  if (!script || script.length < 37) return undefined;
  const m = script[0]! - 0x50;
  const n = script[script.length - 2]! - 0x50;
  if (m < 1 || m > 16 || n < 1 || n > 15 || m > n || script[script.length - 1] !== OP_CHECKMULTISIG) return undefined;
  if (script.length !== 3 + 34 * n) return undefined;
  const pubkeys: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const at = 1 + 34 * i;
    if (script[at] !== 33 || (script[at + 1] !== 2 && script[at + 1] !== 3)) return undefined;
    pubkeys.push(script.slice(at + 1, at + 34));
  }
  return { m, pubkeys };
}

/**
 * Output script, redeem script and witness script of a multisig script in a script type.
 * @example multisigPayment('p2wsh', script).script // 0020…
 */
export function multisigPayment(type: MultisigScriptType, script: Uint8Array): { script: Uint8Array; redeemScript?: Uint8Array; witnessScript?: Uint8Array } {
  const p2sh = (inner: Uint8Array) => concatBytes(Uint8Array.of(0xa9, 0x14), hash160(inner), Uint8Array.of(0x87));
  if (type === 'p2sh') return { script: p2sh(script), redeemScript: script };
  const p2wsh = concatBytes(Uint8Array.of(0x00, 0x20), sha256(script));
  if (type === 'p2wsh') return { script: p2wsh, witnessScript: script };
  return { script: p2sh(p2wsh), redeemScript: p2wsh, witnessScript: script };
}

/** Which multisig script type pays `script` to the output script `scriptPubKey`, if any. */
export function multisigTypeOf(scriptPubKey: Uint8Array, script: Uint8Array): MultisigScriptType | undefined {
  for (const type of ['p2wsh', 'p2sh-p2wsh', 'p2sh'] as const) if (equal(multisigPayment(type, script).script, scriptPubKey)) return type;
  return undefined;
}

// --- PSBT → MultisigRedeemScriptType ------------------------------------------------------------

/** A BIP-32 key origin as a PSBT records it. */
export interface KeyOrigin {
  fingerprint: number;
  path: number[];
}

/** A PSBT_GLOBAL_XPUB entry: the node (as @scure/btc-signer decodes it) and its origin. */
export interface GlobalXpub {
  node: { depth: number; parentFingerprint: number; childNumber: number; chainCode: Uint8Array; publicKey: Uint8Array };
  origin: KeyOrigin;
}

/** One multisig input or change output, read from a PSBT for the device. */
export interface PsbtMultisig {
  type: MultisigScriptType;
  /** The m-of-n script. */
  script: Uint8Array;
  m: number;
  /** Keys in script order. */
  pubkeys: Uint8Array[];
  /** The key the device signs with (one of its own, the first not yet signed) and its path. */
  own: { publicKey: Uint8Array; path: number[] };
  /** What goes to the device (signatures left empty; signPsbt fills in the cosigners'). */
  message: MultisigRedeemScriptType;
  /** Identity of the cosigner set as the firmware computes it for change, or undefined without xpubs. */
  wallet: string | undefined;
  /** Every key sits on the same path below its xpub (required of a change output). */
  singlePath: boolean;
}

const BARE_CHAIN_CODE = /* @__PURE__ */ new Uint8Array(32);

function nodeOf(xpub: GlobalXpub['node']): HDNodeType {
  return { depth: xpub.depth, fingerprint: xpub.parentFingerprint, child_num: xpub.childNumber, chain_code: xpub.chainCode, public_key: xpub.publicKey };
}

/**
 * Read a multisig input or output of a PSBT: its script (witnessScript, else redeemScript) must
 * be an m-of-n script that the spent / paid output script commits to, and one of its keys must
 * carry a derivation under `ownFingerprint`. Undefined when the script is not multisig or none
 * of its keys is the device's; InvalidParameters (naming `field`) when it is malformed.
 * @example psbtMultisig(input, prevOut.script, 0x5c9e228d, xpubs, 'psbt.inputs[0]', signed)
 */
export function psbtMultisig(
  map: { witnessScript?: Uint8Array; redeemScript?: Uint8Array; bip32Derivation?: [Uint8Array, KeyOrigin][] },
  scriptPubKey: Uint8Array,
  ownFingerprint: number | undefined,
  xpubs: readonly GlobalXpub[],
  field: string,
  signed: (publicKey: Uint8Array) => boolean = () => false,
): PsbtMultisig | undefined {
  const script = map.witnessScript ?? map.redeemScript;
  const parsed = parseMultisigScript(script);
  if (!parsed || !script) return undefined;
  const type = multisigTypeOf(scriptPubKey, script);
  const scriptField = map.witnessScript ? 'witnessScript' : 'redeemScript';
  if (!type) throw invalidParameter(`${field}.${scriptField}`, 'the output script does not pay to this multisig script');
  if (type === 'p2sh-p2wsh' && map.redeemScript && !equal(map.redeemScript, multisigPayment(type, script).redeemScript)) {
    throw invalidParameter(`${field}.redeemScript`, 'does not match the witness script');
  }
  const derivations = map.bip32Derivation ?? [];
  const origins = parsed.pubkeys.map((key) => derivations.find(([k]) => equal(k, key))?.[1]);
  derivations.forEach(([key], i) => {
    if (!parsed.pubkeys.some((k) => equal(k, key))) throw invalidParameter(`${field}.bip32Derivation[${i}]`, 'names a key that is not in the multisig script');
  });
  if (ownFingerprint === undefined) return undefined;
  const ours = parsed.pubkeys.map((key, i) => ({ key, origin: origins[i] })).filter((k) => k.origin?.fingerprint === ownFingerprint);
  if (ours.length === 0) return undefined;
  const own = ours.find((k) => !signed(k.key)) ?? ours[0]!;
  if (own.origin!.path.length === 0 || own.origin!.path.length > 8) throw invalidParameter(`${field}.bip32Derivation`, 'path depth must be 1..8');

  // Each key's node: its account xpub and the rest of its path, or the bare key.
  const entries = parsed.pubkeys.map((key, i) => {
    const origin = origins[i];
    const xpub = origin && xpubs.find((x) => x.origin.fingerprint === origin.fingerprint && x.origin.path.length <= origin.path.length && x.origin.path.every((n, j) => origin.path[j] === n));
    if (xpub) {
      const rest = origin.path.slice(xpub.origin.path.length);
      if (rest.every((n) => n < 0x80000000)) return { node: nodeOf(xpub.node), path: rest, bare: false };
    }
    return { node: { depth: 0, fingerprint: 0, child_num: 0, chain_code: BARE_CHAIN_CODE, public_key: key }, path: [] as number[], bare: true };
  });
  const paths = new Set(entries.map((e) => e.path.join('/')));
  const message: MultisigRedeemScriptType =
    paths.size === 1 && !entries.some((e) => e.bare)
      ? { nodes: entries.map((e) => e.node), address_n: entries[0]!.path, signatures: entries.map(() => new Uint8Array(0)), m: parsed.m }
      : { pubkeys: entries.map((e) => ({ node: e.node, address_n: e.path })), signatures: entries.map(() => new Uint8Array(0)), m: parsed.m };
  // cryptoMultisigFingerprint: m and the nodes sorted by key (paths left out).
  const wallet = entries.some((e) => e.bare)
    ? undefined
    : `${parsed.m}|${entries
        .map((e) => `${e.node.depth}/${e.node.fingerprint}/${e.node.child_num}/${hex.encode(e.node.chain_code)}/${hex.encode(e.node.public_key!)}`)
        .sort()
        .join(',')}`;
  return { type, script, m: parsed.m, pubkeys: parsed.pubkeys, own: { publicKey: own.key, path: own.origin!.path }, message, wallet, singlePath: paths.size === 1 };
}

/**
 * The scriptSig and witness of a multisig input holding `signatures` (by key, in script order,
 * each with its sighash byte; undefined = none): OP_0, the signatures present, the script.
 * @example multisigSpend(plan, [sigA, undefined, sigC]) // { scriptSig, witness }
 */
export function multisigSpend(type: MultisigScriptType, script: Uint8Array, signatures: readonly (Uint8Array | undefined)[]): { scriptSig: Uint8Array; witness: Uint8Array[] } {
  const present = signatures.filter((s): s is Uint8Array => s !== undefined && s.length > 0);
  if (type === 'p2sh') return { scriptSig: concatBytes(Uint8Array.of(0), ...present.map(pushData), pushData(script)), witness: [] };
  const witness = [new Uint8Array(0), ...present, script];
  return { scriptSig: type === 'p2wsh' ? new Uint8Array(0) : pushData(multisigPayment(type, script).redeemScript!), witness };
}

// --- a multisig address from account xpubs (getAddress, descriptors) ---------------------------

/** A multisig wallet as its cosigners' account keys. */
export interface MultisigParameters {
  /** Signatures required. */
  m: number;
  /** Every cosigner's account xpub (any SLIP-132 version), the device's among them. */
  xpubs: string[];
  /** BIP-67: keys sorted in the script (`sortedmulti`); default false (the order of `xpubs`). */
  sorted?: boolean;
  /** Inferred from the path (BIP-48 script type, or purpose 49 / 84 / 44 / 45) when omitted. */
  scriptType?: MultisigScriptType;
}

/** The multisig script type a path stands for, if its purpose says it. */
function multisigTypeFromPath(addressN: readonly number[]): MultisigScriptType | undefined {
  const purpose = addressN[0]! - HARDENED;
  if (purpose === 48 && addressN.length >= 4) return (['p2sh', 'p2sh-p2wsh', 'p2wsh'] as const)[addressN[3]! - HARDENED];
  if (purpose === 49) return 'p2sh-p2wsh';
  if (purpose === 84) return 'p2wsh';
  if (purpose === 44 || purpose === 45) return 'p2sh';
  return undefined;
}

/** Firmware that builds a BIP-67 sorted script itself (MultisigPubkeysOrder LEXICOGRAPHIC). */
export const SORTED_MULTISIG_FIRMWARE = { one: [1, 13, 0], core: [2, 8, 7] } as const;

/**
 * The device request of a multisig address whose keys are each xpub derived along the last two
 * (unhardened) steps of `addressN`: the nodes in the order given and, for `sorted`, the
 * firmware's own BIP-67 sorting (LEXICOGRAPHIC; see SORTED_MULTISIG_FIRMWARE). InvalidParameters
 * (naming `field`) for a malformed wallet.
 * @example multisigRequest({ m: 2, xpubs, sorted: true }, parsePath("m/48'/1'/0'/2'/0/3"))
 */
export function multisigRequest(params: MultisigParameters, addressN: readonly number[], field = 'multisig'): { type: MultisigScriptType; message: MultisigRedeemScriptType } {
  if (typeof params !== 'object' || params === null) throw invalidParameter(field, 'expected { m, xpubs, sorted?, scriptType? }');
  if (!Array.isArray(params.xpubs) || params.xpubs.length < 1 || params.xpubs.length > 15) throw invalidParameter(`${field}.xpubs`, 'expected 1 to 15 account xpubs');
  const n = params.xpubs.length;
  if (!Number.isInteger(params.m) || params.m < 1 || params.m > n) throw invalidParameter(`${field}.m`, `expected 1 ≤ m ≤ ${n}, got ${String(params.m)}`);
  const type = params.scriptType ?? multisigTypeFromPath(addressN);
  if (type === undefined || !(type in MULTISIG_INPUT_SCRIPT_TYPE)) throw invalidParameter(`${field}.scriptType`, "expected 'p2sh', 'p2sh-p2wsh' or 'p2wsh'");
  const rest = addressN.slice(-2);
  if (addressN.length < 3 || rest.some((step) => step >= HARDENED)) throw invalidParameter('path', 'a multisig address path ends in two unhardened steps (chain/index) below the accounts');
  const nodes = params.xpubs.map((xpub, i) => decodeXpub(xpub, `${field}.xpubs[${i}]`));
  if (new Set(nodes.map((node) => hex.encode(node.publicKey))).size !== n) throw invalidParameter(`${field}.xpubs`, 'lists the same key twice');
  const message: MultisigRedeemScriptType = {
    m: params.m,
    nodes: nodes.map((node) => ({ depth: node.depth, fingerprint: node.parentFingerprint, child_num: node.childNumber, chain_code: node.chainCode, public_key: node.publicKey })),
    address_n: rest,
    signatures: nodes.map(() => new Uint8Array(0)),
  };
  if (params.sorted) message.pubkeys_order = 'LEXICOGRAPHIC';
  return { type, message };
}

// --- descriptors (BIP-380/383) ------------------------------------------------------------------

/** A cosigner's account key with its origin (getPublicKey's xpub, path and rootFingerprint). */
export interface MultisigCosigner {
  /** Plain xpub/tpub of the account (getPublicKey with ignoreXpubMagic). */
  xpub: string;
  /** The account path, e.g. "m/48'/0'/0'/2'". */
  path: Path;
  /** Master key fingerprint (u32). */
  rootFingerprint: number;
}

export interface MultisigDescriptorParameters {
  m: number;
  cosigners: MultisigCosigner[];
  /** sortedmulti (BIP-67), default true; false: multi, keys in the order given. */
  sorted?: boolean;
  /** Default 'p2wsh'. */
  scriptType?: MultisigScriptType;
}

/**
 * The output descriptor of a multisig wallet, receive and change chains (`/<0;1>/*`), with its checksum.
 * @example multisigDescriptor({ m: 2, cosigners: [a, b, c] }) // 'wsh(sortedmulti(2,[5c9e228d/48h/0h/0h/2h]xpub…/<0;1>/*,…))#…'
 */
export function multisigDescriptor(params: MultisigDescriptorParameters): string {
  if (typeof params !== 'object' || params === null) throw invalidParameter('params', 'expected { m, cosigners, sorted?, scriptType? }');
  const { m, cosigners, sorted = true, scriptType = 'p2wsh' } = params;
  if (!Array.isArray(cosigners) || cosigners.length < 1 || cosigners.length > 15) throw invalidParameter('cosigners', 'expected 1 to 15 cosigners');
  if (!Number.isInteger(m) || m < 1 || m > cosigners.length) throw invalidParameter('m', `expected 1 ≤ m ≤ ${cosigners.length}, got ${String(m)}`);
  if (!(scriptType in MULTISIG_INPUT_SCRIPT_TYPE)) throw invalidParameter('scriptType', "expected 'p2sh', 'p2sh-p2wsh' or 'p2wsh'");
  const keys = cosigners.map((c, i) => {
    const field = `cosigners[${i}]`;
    if (typeof c !== 'object' || c === null) throw invalidParameter(field, 'expected { xpub, path, rootFingerprint }');
    const node = decodeXpub(c.xpub, `${field}.xpub`);
    const addressN = parsePath(c.path, `${field}.path`);
    if (node.depth !== addressN.length) throw invalidParameter(`${field}.path`, `depth ${addressN.length} does not match the xpub's depth ${node.depth}`);
    if (!Number.isInteger(c.rootFingerprint) || c.rootFingerprint < 0 || c.rootFingerprint > 0xffffffff) throw invalidParameter(`${field}.rootFingerprint`, 'expected a u32');
    const origin = [c.rootFingerprint.toString(16).padStart(8, '0'), ...addressN.map((n) => (n >= HARDENED ? `${n - HARDENED}h` : String(n)))].join('/');
    return { key: hex.encode(node.publicKey), text: `[${origin}]${c.xpub}/<0;1>/*` };
  });
  if (new Set(keys.map((k) => k.key)).size !== keys.length) throw invalidParameter('cosigners', 'lists the same account twice');
  const inner = `${sorted ? 'sortedmulti' : 'multi'}(${m},${keys.map((k) => k.text).join(',')})`;
  const body = scriptType === 'p2wsh' ? `wsh(${inner})` : scriptType === 'p2sh-p2wsh' ? `sh(wsh(${inner}))` : `sh(${inner})`;
  return `${body}#${descriptorChecksum(body)}`;
}
