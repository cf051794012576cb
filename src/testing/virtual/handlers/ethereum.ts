/**
 * Ethereum on the virtual device: the firmware's Ethereum workflows with the same checks,
 * screens (ButtonRequest codes and counts) and Failures as the real firmware, so that the
 * recorded emulator transcripts replay against it and the library's own flows are exercised
 * end to end. Signatures are RFC 6979 deterministic (../ecdsa.ts, low-s), hence
 * byte-identical with the firmware's test vectors.
 *
 * Screens, as recorded from the emulators (shared/transcripts, transcripts-t2t1):
 *
 *   T1B1 (legacy firmware, ethereum.c / fsm_msg_ethereum.h)
 *     SignTx           staking call: 1 SignTx | else: confirm SignTx, up to 5 data pages SignTx
 *                      (24 bytes each, from the initial chunk), ProtectCall "data too long" when
 *                      the pages did not cover the data; fee: 1 SignTx (legacy) / 3 SignTx (1559)
 *     SignMessage      address Other, message pages Other (72 ASCII chars or 32 bytes a page)
 *     VerifyMessage    address Other, message pages Other, "signature is valid" Other
 *     SignTypedHash    ProtectCall warning, address Other, domain hash Other, message hash Other
 *     SignTypedData    not implemented: Failure UnexpectedMessage
 *   T2T1 (Core 2.4.1)
 *     SignTx           [unknown token SignTx], confirm SignTx, [data SignTx], fee SignTx
 *     SignMessage      one Other; VerifyMessage: address Other, message Other (pages)
 *     SignTypedData    the struct/value request loop, domain Other, final Other
 *     SignTypedHash    not implemented: Failure UnexpectedMessage
 *   Core 2.8.9 (Model T, Safe 3, Safe 5; every ButtonRequest named, screens.ts)
 *     SignTx           [unknown token: unknown_contract_warning Warning, unknown_token SignTx],
 *                      [confirm_data SignTx], then Model T / Safe 3: recipient and summary, both
 *                      confirm_ethereum_tx SignTx ("no" on the summary goes back to the
 *                      recipient); Safe 5: one confirm_output SignTx flow
 *     SignMessage      confirm_signverify (core-text.ts): address, message, both sign_message
 *     VerifyMessage    the same as verify_message, then verify_message Success
 *     SignTypedData    confirm_address SignTx, the types (EIP712Domain asked twice when it is the
 *                      primary type), domain name/version values, should_show_domain Other, the
 *                      domain values, should_show_struct Other (confirm_empty_typed_message for
 *                      a domain-only message), the message values, confirm_typed_data_final
 *                      Other. "yes" on a should_show_* screen skips the details, which are not
 *                      shown here.
 *
 * Known simplifications: any coin type is accepted in BIP-44 paths (the firmware ties it to
 * the network); a "no" on the T1 address screen cancels instead of cycling to the QR code;
 * network/token definitions are accepted without checking their signatures, and the Model T
 * knows an ERC-20 token only from such a definition (2.4.1 had a built-in list); screen texts
 * follow the firmware's only where recordings read them (Model T verify message). The EIP-712 screens of Core
 * (domain, then the final confirmation) are a simplification: there are no recordings of them.
 * Test: test/ethereum-transcripts.test.ts replays every Ethereum recording against this file.
 */
import type { HDKey } from '@scure/bip32';
import type { Keychain } from '../keychain.js';
import { signDigest as rfc6979Sign } from '../ecdsa.js';
import {
  TypedDataEncoder,
  computeAddress,
  concat,
  encodeRlp,
  getAddress,
  hashMessage,
  hexlify,
  keccak256,
  recoverAddress,
  toBeArray,
  toUtf8String,
  type TypedDataField,
} from 'ethers';
import { decodeAs, type MessageMap, type MessageName } from '../../../messages/index.js';
import { HARDENED } from '../../../path.js';
import { fail, type DeviceContext, type HandlerTable, type Reply } from '../context.js';
import { firmwareHas, unknownMessageText, type FirmwareFeature } from '../firmware.js';
import { namesScreens, screen } from '../screens.js';
import { confirmSignVerify, coreMessageText, coreMonoPages } from './core-text.js';

const MAX_CHAIN_ID_FULL_V = BigInt(2147483629);
const MAX_DATA_LENGTH = 16_000_000;
const CHUNK = 1024;
const PATH_MAX_ACCOUNT = 100;
const PATH_MAX_CHANGE = 1;
const PATH_MAX_ADDRESS_INDEX = 1_000_000;
/** T1: data pages shown before the "too long to view" warning, bytes per page. */
const T1_MAX_DATA_PAGES = 5;
const T1_DATA_PAGE_BYTES = 24;

// Everstake staking contracts the T1 firmware recognises (pool: stake/unstake, accounting: claim).
const STAKING_POOLS = ['afa848357154a6a624686b348303ef9a13f63264', 'd523794c879d9ec028960a231f866758e405be34'];
const STAKING_ACCOUNTING = ['624087dd1904ab122a32878ce9e933c7071f53b9', '7a7f0b3c23c23a31cfcb0c44709be70d4d545c6e'];
const SIG_STAKE = '3a29dbae';
const SIG_UNSTAKE = '76ec871c';
const SIG_CLAIM = '33986ffa';
const ERC20_TRANSFER_PREFIX = 'a9059cbb000000000000000000000000';

// ----------------------------------------------------------------------------------------------
// Keys, paths, signing

/** Firmware path rules (ethereum_path_check): BIP-44 shapes, SEP-5, Ledger Live legacy, Casa 45. */
function isValidPath(addressN: readonly number[], pubkeyExport: boolean): boolean {
  const n = addressN;
  if (n.length === 0) return false;
  if (n[0] === (HARDENED | 44) >>> 0) {
    if (n.length < 3 || n[1]! < HARDENED || n[2]! < HARDENED || n[2]! - HARDENED > PATH_MAX_ACCOUNT) return false;
    if (pubkeyExport || n.length === 3) return true;
    if (n.length === 4) return n[2] === HARDENED && n[3]! <= PATH_MAX_ACCOUNT;
    return n.length === 5 && n[3]! <= PATH_MAX_CHANGE && n[4]! <= PATH_MAX_ADDRESS_INDEX;
  }
  if (n[0] === (HARDENED | 45) >>> 0) {
    return n.length === 5 && n[1]! < HARDENED && n[2]! <= PATH_MAX_ACCOUNT && n[3]! <= PATH_MAX_CHANGE && n[4]! <= PATH_MAX_ADDRESS_INDEX;
  }
  return false;
}

/** Strict safety checks refuse a non-standard path; the relaxed levels warn first. */
async function checkPath(ctx: DeviceContext, addressN: readonly number[], pubkeyExport = false): Promise<void> {
  if (isValidPath(addressN, pubkeyExport)) return;
  if (ctx.safetyChecks === 'Strict') fail('Failure_DataError', 'Forbidden key path');
  await ctx.confirm('ButtonRequest_UnknownDerivationPath', { text: 'Wrong address path for selected coin.', ...screen(ctx, 'path_warning') });
}

/**
 * The order of the firmware: T1 unlocks, checks the path, then derives (asking for the
 * passphrase); Core derives the keychain first, then checks the path.
 */
async function keyAt(ctx: DeviceContext, addressN: readonly number[], pubkeyExport = false): Promise<HDKey> {
  let keys: Keychain;
  if (ctx.model === 'T1B1') {
    await ctx.unlock();
    await checkPath(ctx, addressN, pubkeyExport);
    keys = await ctx.keychain();
  } else {
    keys = await ctx.keychain();
    await checkPath(ctx, addressN, pubkeyExport);
  }
  return keys.node(addressN);
}

function addressOf(node: HDKey): string {
  return computeAddress(hexlify(node.publicKey!));
}

/** RFC 6979 signature of a 32-byte digest: r, s and the recovery parity. */
function signDigest(node: HDKey, digest: string): { r: Uint8Array; s: Uint8Array; parity: 0 | 1 } {
  const compact = rfc6979Sign(toBytes(digest), node.privateKey!);
  const bytes = compact.toBytes('compact');
  return { r: bytes.subarray(0, 32), s: bytes.subarray(32), parity: (compact.recovery! & 1) as 0 | 1 };
}

/** r ‖ s ‖ (27 + parity), as EthereumMessageSignature / EthereumTypedDataSignature carry it. */
function signature65(node: HDKey, digest: string): Uint8Array {
  const { r, s, parity } = signDigest(node, digest);
  const out = new Uint8Array(65);
  out.set(r, 0);
  out.set(s, 32);
  out[64] = 27 + parity;
  return out;
}

/**
 * Messages the claimed firmware does not know (yet) are answered like an unknown message
 * (FIRMWARE_SINCE: EIP-1559 since 1.10.4 / 2.4.2, EthereumSignTypedHash since 1.10.5 on the
 * Trezor One only, EthereumSignTypedData since 2.4.3 on Core only).
 */
function requireFirmware(ctx: DeviceContext, feature: FirmwareFeature): void {
  if (!firmwareHas(ctx, feature)) fail('Failure_UnexpectedMessage', unknownMessageText(ctx.model));
}

// ----------------------------------------------------------------------------------------------
// Host questions

async function askFor<N extends MessageName, R extends MessageName>(ctx: DeviceContext, name: N, message: MessageMap[N], expected: R): Promise<MessageMap[R]> {
  const reply = await ctx.ask(name, message);
  const { type, payload } = reply;
  if (type !== wireIds[expected]) fail('Failure_UnexpectedMessage', 'Unexpected message');
  try {
    return decodeAs(expected, payload);
  } catch {
    fail('Failure_DataError', 'Failed to decode message');
  }
}

const wireIds: Partial<Record<MessageName, number>> = {
  EthereumTxAck: 60,
  EthereumTypedDataStructAck: 466,
  EthereumTypedDataValueAck: 468,
};

// ----------------------------------------------------------------------------------------------
// Addresses and keys

async function getAddressHandler(ctx: DeviceContext, request: MessageMap['EthereumGetAddress']): Promise<Reply> {
  const node = await keyAt(ctx, request.address_n ?? []);
  const address = addressOf(node);
  if (request.show_display) {
    await ctx.confirm('ButtonRequest_Address', { text: `Address: ${address}`, ...screen(ctx, 'show_address', { Bolt: 1, Caesar: 1, Delizia: 2 }) });
  }
  return { type: 'EthereumAddress', message: { address } };
}

async function getPublicKeyHandler(ctx: DeviceContext, request: MessageMap['EthereumGetPublicKey']): Promise<Reply> {
  const node = await keyAt(ctx, request.address_n ?? [], true);
  if (request.show_display) await ctx.confirm('ButtonRequest_PublicKey', { text: `Public key: ${hexlify(node.publicKey!)}`, ...screen(ctx, 'show_pubkey') });
  return {
    type: 'EthereumPublicKey',
    message: {
      node: {
        depth: node.depth,
        fingerprint: node.parentFingerprint,
        child_num: node.index,
        chain_code: node.chainCode!,
        public_key: node.publicKey!,
      },
      xpub: node.publicExtendedKey,
    },
  };
}

// ----------------------------------------------------------------------------------------------
// Transactions

interface TxCommon {
  address_n?: number[];
  nonce?: Uint8Array;
  gas_limit?: Uint8Array;
  to?: string;
  value?: Uint8Array;
  data_initial_chunk?: Uint8Array;
  data_length?: number;
  chain_id?: bigint;
  definitions?: { encoded_token?: Uint8Array };
}

/** ethereum_signing_init_common: the checks both transaction kinds share. */
function checkCommon(ctx: DeviceContext, request: TxCommon): { to: Uint8Array | undefined; dataTotal: number; initial: Uint8Array } {
  // Model T 2.4.1 still signed without a chain id (pre-EIP-155, v = 27/28), as recorded;
  // the Trezor One and later Core firmware require chain_id ≥ 1.
  if (request.chain_id === undefined ? ctx.model === 'T1B1' : request.chain_id < BigInt(1)) fail('Failure_DataError', 'Chain ID out of bounds');
  const initial = request.data_initial_chunk ?? new Uint8Array(0);
  const dataTotal = request.data_length ?? 0;
  if (dataTotal > 0) {
    if (initial.length === 0) fail('Failure_DataError', 'Data length provided, but no initial chunk');
    if (dataTotal > MAX_DATA_LENGTH) fail('Failure_DataError', 'Data length exceeds limit');
  }
  if (initial.length > dataTotal) fail('Failure_DataError', 'Invalid size of initial chunk');
  const toText = request.to ?? '';
  if (![0, 40, 42].includes(toText.length) || (toText.length === 0 && dataTotal === 0)) fail('Failure_DataError', 'Safety check failed');
  let to: Uint8Array | undefined;
  if (toText.length) {
    const hex = toText.length === 42 ? toText.replace(/^0[xX]/, '') : toText;
    if (!/^[0-9a-fA-F]{40}$/.test(hex)) fail('Failure_DataError', 'Safety check failed');
    to = fromHex(hex);
  }
  return { to, dataTotal, initial };
}

type StakingOp = 'stake' | 'unstake' | 'claim';

function stakingOperation(to: Uint8Array | undefined, initial: Uint8Array): StakingOp | undefined {
  if (!to || initial.length < 4) return undefined;
  const address = hex(to);
  const signature = hex(initial.subarray(0, 4));
  if (STAKING_POOLS.includes(address)) {
    if (signature === SIG_STAKE) return 'stake';
    if (signature === SIG_UNSTAKE) return 'unstake';
  }
  if (STAKING_ACCOUNTING.includes(address) && signature === SIG_CLAIM) return 'claim';
  return undefined;
}

function isErc20Transfer(to: Uint8Array | undefined, value: Uint8Array, dataTotal: number, initial: Uint8Array): boolean {
  return !!to && value.length === 0 && dataTotal === 68 && initial.length === 68 && hex(initial.subarray(0, 16)) === ERC20_TRANSFER_PREFIX;
}

/** The screens before signing, per model (see the header). */
async function confirmTransaction(ctx: DeviceContext, request: TxCommon, eip1559: boolean, checked: ReturnType<typeof checkCommon>): Promise<void> {
  const { to, dataTotal, initial } = checked;
  const value = request.value ?? new Uint8Array(0);
  const token = isErc20Transfer(to, value, dataTotal, initial);
  const recipient = to ? getAddress(hexlify(token ? initial.subarray(16, 36) : to)) : 'new contract';
  const amount = token ? `${BigInt(hexlify(initial.subarray(36, 68)))} token units` : `${bytesToBigInt(value)} wei`;

  if (ctx.model === 'T1B1') {
    const staking = stakingOperation(to, initial);
    if (staking) {
      const args = initial.length - 4;
      const ok = staking === 'stake' ? args === 32 : staking === 'unstake' ? args === 96 : args === 0;
      if (!ok) fail('Failure_DataError', 'Invalid staking transaction call');
      await ctx.confirm('ButtonRequest_SignTx', { text: `${staking} on Everstake?` });
    } else {
      await ctx.confirm('ButtonRequest_SignTx', { text: `Send ${amount} to ${recipient}?` });
      if (!token && dataTotal > 0) {
        let offset = 0;
        for (let page = 0; page < T1_MAX_DATA_PAGES && offset < dataTotal; page++) {
          const shown = initial.subarray(offset, offset + T1_DATA_PAGE_BYTES);
          offset += shown.length;
          await ctx.confirm('ButtonRequest_SignTx', { text: `Transaction data: ${hex(shown)} ${offset}/${dataTotal} bytes` });
        }
        if (offset < dataTotal) await ctx.confirm('ButtonRequest_ProtectCall', { text: 'Warning! Too long data to view. Proceed with caution.' });
      }
    }
    const fees = eip1559 ? ['Maximum fee per gas', 'Priority fee per gas', 'Maximum fee'] : ['Really send, paying up to … for gas?'];
    for (const text of fees) await ctx.confirm('ButtonRequest_SignTx', { text });
    return;
  }

  if (namesScreens(ctx.layout)) {
    await confirmTransaction289(ctx, { token: token && !request.definitions?.encoded_token, contract: !token && dataTotal > 0, recipient, amount, feeItems: eip1559 ? 3 : 2, initial, dataTotal });
    return;
  }
  // Core: an ERC-20 transfer of a token it has no definition for is confirmed as unknown first.
  if (token && !request.definitions?.encoded_token) await ctx.confirm('ButtonRequest_SignTx', { text: `Unknown token ${recipient}` });
  await ctx.confirm('ButtonRequest_SignTx', { text: `Send ${amount} to ${recipient}` });
  if (!token && dataTotal > 0) {
    await ctx.confirm('ButtonRequest_SignTx', { text: `Confirm data: ${hex(initial.subarray(0, 64))}… (${dataTotal} bytes)` });
  }
  await ctx.confirm('ButtonRequest_SignTx', { text: 'Confirm fee' });
}

/**
 * Core 2.8.9 confirm_tx_data() → require_confirm_tx() (core/src/apps/ethereum/sign_tx.py,
 * layout.py) with each model's confirm_ethereum_tx (see the header). The Safe 3's summary has
 * a page per fee item after the amounts: 3 for a legacy transaction (gas price, gas limit), 4
 * for EIP-1559 (max fee, priority fee, gas limit), as recorded.
 */
async function confirmTransaction289(
  ctx: DeviceContext,
  tx: { token: boolean; contract: boolean; recipient: string; amount: string; feeItems: number; initial: Uint8Array; dataTotal: number },
): Promise<void> {
  if (tx.token) {
    await ctx.confirm('ButtonRequest_Warning', { text: 'Unknown contract address', ...screen(ctx, 'unknown_contract_warning') });
    await ctx.confirm('ButtonRequest_SignTx', { text: `Token contract\n${tx.recipient}`, ...screen(ctx, 'unknown_token') });
  }
  if (tx.contract) {
    await ctx.confirm('ButtonRequest_SignTx', { text: `Input data\n${hex(tx.initial.subarray(0, 64))}… (${tx.dataTotal} bytes)`, ...screen(ctx, 'confirm_data') });
  }
  const recipient = `${tx.contract ? 'Interaction contract' : 'Recipient'}\n${tx.recipient}`;
  const summary = `Summary\nAmount: ${tx.amount}\nMaximum fee`;
  if (ctx.layout === 'Delizia') {
    // flow_confirm_output: recipient, summary and hold-to-sign in one flow, one ButtonRequest.
    await ctx.confirm('ButtonRequest_SignTx', { text: `${recipient}\f${summary}`, ...screen(ctx, 'confirm_output') });
    return;
  }
  for (;;) {
    await ctx.confirm('ButtonRequest_SignTx', { text: recipient, ...screen(ctx, 'confirm_ethereum_tx') });
    const pages = { Bolt: 1, Caesar: 1 + tx.feeItems, Delizia: 1 };
    if ((await ctx.confirm('ButtonRequest_SignTx', { text: summary, ...screen(ctx, 'confirm_ethereum_tx', pages), allowNo: true })) !== false) return;
  }
}

/** Ask the host for the calldata after the initial chunk (EthereumTxRequest / EthereumTxAck). */
async function streamData(ctx: DeviceContext, dataTotal: number, initial: Uint8Array): Promise<Uint8Array> {
  const data = new Uint8Array(dataTotal);
  data.set(initial);
  let offset = initial.length;
  while (offset < dataTotal) {
    const left = dataTotal - offset;
    const ack = await askFor(ctx, 'EthereumTxRequest', { data_length: Math.min(CHUNK, left) }, 'EthereumTxAck');
    const chunk = ack.data_chunk ?? new Uint8Array(0);
    if (chunk.length > left) fail('Failure_DataError', 'Too much data');
    if (chunk.length === 0) fail('Failure_DataError', 'Empty data chunk received');
    data.set(chunk, offset);
    offset += chunk.length;
  }
  return data;
}

async function signTxHandler(ctx: DeviceContext, request: MessageMap['EthereumSignTx']): Promise<Reply> {
  const node = await keyAt(ctx, request.address_n ?? []);
  const checked = checkCommon(ctx, request);
  if (!request.gas_price || !request.gas_limit || request.gas_price.length + request.gas_limit.length > 30) fail('Failure_DataError', 'Safety check failed');
  if (request.tx_type !== undefined && request.tx_type !== 1 && request.tx_type !== 6) fail('Failure_DataError', 'Txtype out of bounds');
  await confirmTransaction(ctx, request, false, checked);
  const data = await streamData(ctx, checked.dataTotal, checked.initial);
  // RLP([tx_type?], nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0), fields as sent.
  const fields = [
    ...(request.tx_type !== undefined ? [toBeArray(request.tx_type)] : []),
    request.nonce ?? new Uint8Array(0),
    request.gas_price,
    request.gas_limit,
    checked.to ?? new Uint8Array(0),
    request.value ?? new Uint8Array(0),
    data,
    ...(request.chain_id === undefined ? [] : [toBeArray(request.chain_id), new Uint8Array(0), new Uint8Array(0)]),
  ];
  const { r, s, parity } = signDigest(node, keccak256(encodeRlp(fields)));
  const chainId = request.chain_id;
  const v = chainId === undefined ? 27 + parity : chainId > MAX_CHAIN_ID_FULL_V ? parity : Number(BigInt(parity) + BigInt(2) * chainId + BigInt(35));
  return { type: 'EthereumTxRequest', message: { signature_v: v, signature_r: r, signature_s: s } };
}

async function signTxEip1559Handler(ctx: DeviceContext, request: MessageMap['EthereumSignTxEIP1559']): Promise<Reply> {
  requireFirmware(ctx, 'eip1559');
  const node = await keyAt(ctx, request.address_n ?? []);
  if (request.chain_id === undefined) fail('Failure_DataError', 'Chain ID out of bounds');
  const checked = checkCommon(ctx, request);
  if (!request.max_gas_fee || !request.max_priority_fee || !request.gas_limit) fail('Failure_DataError', 'Safety check failed');
  if (request.max_gas_fee.length + request.gas_limit.length > 30 || request.max_priority_fee.length + request.gas_limit.length > 30) {
    fail('Failure_DataError', 'Safety check failed');
  }
  const accessList = (request.access_list ?? []).map((entry) => {
    const text = entry.address.replace(/^0[xX]/, '');
    if (!/^[0-9a-fA-F]{40}$/.test(text)) fail('Failure_DataError', 'Malformed address');
    return [fromHex(text), entry.storage_keys ?? []];
  });
  await confirmTransaction(ctx, request, true, checked);
  const data = await streamData(ctx, checked.dataTotal, checked.initial);
  // 0x02 ‖ RLP(chainId, nonce, maxPriorityFee, maxFee, gasLimit, to, value, data, accessList)
  const payload = encodeRlp([
    toBeArray(request.chain_id),
    request.nonce,
    request.max_priority_fee,
    request.max_gas_fee,
    request.gas_limit,
    checked.to ?? new Uint8Array(0),
    request.value,
    data,
    accessList,
  ]);
  const { r, s, parity } = signDigest(node, keccak256(concat(['0x02', payload])));
  return { type: 'EthereumTxRequest', message: { signature_v: parity, signature_r: r, signature_s: s } };
}

// ----------------------------------------------------------------------------------------------
// Messages (EIP-191)

/** T1 fsm_layoutPaginated: 4 rows of 18 ASCII characters, or of 8 bytes as hex. */
async function t1MessagePages(ctx: DeviceContext, message: Uint8Array, title: string): Promise<void> {
  const ascii = message.every((byte) => byte >= 0x20 && byte <= 0x7e);
  const perPage = ascii ? 18 * 4 : 8 * 4;
  let offset = 0;
  do {
    const shown = message.subarray(offset, offset + perPage);
    offset += shown.length;
    await ctx.confirm('ButtonRequest_Other', { text: `${ascii ? title : title.replace('message', 'binary message')} ${ascii ? toUtf8String(shown) : hex(shown)}` });
  } while (offset < message.length);
}

async function signMessageHandler(ctx: DeviceContext, request: MessageMap['EthereumSignMessage']): Promise<Reply> {
  const node = await keyAt(ctx, request.address_n ?? []);
  const address = addressOf(node);
  const message = request.message;
  if (ctx.model === 'T1B1') {
    await ctx.confirm('ButtonRequest_Other', { text: `Confirm address: ${address}` });
    await t1MessagePages(ctx, message, 'Sign message?');
  } else if (namesScreens(ctx.layout)) {
    await confirmSignVerify(ctx, { address, message: coreMessageText(message), verify: false });
  } else {
    await ctx.confirm('ButtonRequest_Other', { text: `Sign ETH message: ${coreMessageText(message)}` });
  }
  return { type: 'EthereumMessageSignature', message: { signature: signature65(node, hashMessage(message)), address } };
}

async function verifyMessageHandler(ctx: DeviceContext, request: MessageMap['EthereumVerifyMessage']): Promise<Reply> {
  const { signature, message } = request;
  if (!signature || signature.length !== 65) fail('Failure_DataError', 'Malformed signature');
  const addressText = (request.address ?? '').replace(/^0[xX]/, '');
  if (!/^[0-9a-fA-F]{40}$/.test(addressText)) fail('Failure_DataError', 'Malformed address');
  let v = signature[64]!;
  if (v >= 27) v -= 27;
  let recovered: string | undefined;
  if (v < 2) {
    try {
      recovered = recoverAddress(hashMessage(message), { r: hexlify(signature.subarray(0, 32)), s: hexlify(signature.subarray(32, 64)), yParity: v as 0 | 1 });
    } catch {
      recovered = undefined;
    }
  }
  if (!recovered || recovered.toLowerCase() !== `0x${addressText.toLowerCase()}`) fail('Failure_DataError', 'Invalid signature');
  if (ctx.model === 'T1B1') {
    await ctx.confirm('ButtonRequest_Other', { text: `Confirm address: ${request.address}` });
    await t1MessagePages(ctx, message, 'Verified message?');
    await ctx.confirm('ButtonRequest_Other', { text: 'The signature is valid.' });
  } else if (namesScreens(ctx.layout)) {
    await confirmSignVerify(ctx, { address: request.address ?? '', message: coreMessageText(message), verify: true });
    await ctx.confirm('ButtonRequest_Success', { text: 'The signature is valid.', ...screen(ctx, 'verify_message') });
  } else {
    await ctx.confirm('ButtonRequest_Other', { text: `Confirm address: ${request.address}` });
    const pages = coreMonoPages('Verify ETH message', coreMessageText(message));
    await ctx.confirm('ButtonRequest_Other', { text: pages.join('\f'), ...(pages.length > 1 ? { pages: pages.length } : {}) });
  }
  return { type: 'Success', message: { message: 'Message verified' } };
}

// ----------------------------------------------------------------------------------------------
// Typed data (EIP-712)

async function signTypedHashHandler(ctx: DeviceContext, request: MessageMap['EthereumSignTypedHash']): Promise<Reply> {
  requireFirmware(ctx, 'ethereumSignTypedHash');
  await ctx.unlock();
  const domainHash = request.domain_separator_hash;
  const messageHash = request.message_hash;
  if (domainHash?.length !== 32 || (messageHash !== undefined && messageHash.length !== 32)) fail('Failure_DataError', 'Invalid hash length');
  await checkPath(ctx, request.address_n ?? []);
  await ctx.confirm('ButtonRequest_ProtectCall', { text: 'Unable to show EIP-712 data. Sign at your own risk.' });
  const node = (await ctx.keychain()).node(request.address_n ?? []);
  const address = addressOf(node);
  await ctx.confirm('ButtonRequest_Other', { text: `Confirm address: ${address}` });
  await ctx.confirm('ButtonRequest_Other', { text: `EIP-712 domain hash ${hexlify(domainHash)}` });
  if (messageHash !== undefined) await ctx.confirm('ButtonRequest_Other', { text: `EIP-712 message hash ${hexlify(messageHash)}` });
  const digest = keccak256(concat(['0x1901', domainHash, ...(messageHash !== undefined ? [messageHash] : [])]));
  return { type: 'EthereumTypedDataSignature', message: { signature: signature65(node, digest), address } };
}

type StructDefs = Record<string, MessageMap['EthereumTypedDataStructAck']['members']>;
type FieldTypeMsg = NonNullable<MessageMap['EthereumTypedDataStructAck']['members']>[number]['type'];

/** The Solidity type string of a streamed field type (what the type hash is built from). */
function typeName(type: FieldTypeMsg, structs: StructDefs): string {
  switch (type.data_type) {
    case 'UINT':
    case 'INT': {
      const size = type.size ?? 0;
      if (size < 1 || size > 32) fail('Failure_DataError', 'Invalid integer size');
      return `${type.data_type === 'UINT' ? 'uint' : 'int'}${size * 8}`;
    }
    case 'BYTES':
      if (type.size !== undefined && (type.size < 1 || type.size > 32)) fail('Failure_DataError', 'Invalid bytes size');
      return type.size === undefined ? 'bytes' : `bytes${type.size}`;
    case 'STRING':
      return 'string';
    case 'BOOL':
      return 'bool';
    case 'ADDRESS':
      return 'address';
    case 'ARRAY':
      if (!type.entry_type) fail('Failure_DataError', 'Missing entry type');
      return `${typeName(type.entry_type, structs)}[${type.size ?? ''}]`;
    case 'STRUCT':
      if (!type.struct_name || (structs[type.struct_name] && structs[type.struct_name]!.length !== type.size)) fail('Failure_DataError', 'Invalid struct');
      return type.struct_name;
    default:
      fail('Failure_DataError', 'Invalid data type');
  }
}

/** Core's _collect_types: the domain, then the primary type, each struct member depth-first once. */
async function collectTypes(ctx: DeviceContext, name: string, structs: StructDefs): Promise<void> {
  const ack = await askFor(ctx, 'EthereumTypedDataStructRequest', { name }, 'EthereumTypedDataStructAck');
  const members = ack.members ?? [];
  structs[name] = members;
  for (const member of members) {
    let type = member.type;
    while (type.data_type === 'ARRAY') {
      if (!type.entry_type) fail('Failure_DataError', 'Missing entry type');
      type = type.entry_type;
    }
    if (type.data_type === 'STRUCT' && type.struct_name && !structs[type.struct_name]) await collectTypes(ctx, type.struct_name, structs);
  }
}

/** Ask for every value of a struct (member path order, as the firmware hashes) and rebuild it as JSON. */
async function collectStruct(ctx: DeviceContext, name: string, path: number[], structs: StructDefs): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const members = structs[name] ?? [];
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!;
    out[member.name] = await collectValue(ctx, member.type, [...path, i], structs);
  }
  return out;
}

async function collectValue(ctx: DeviceContext, type: FieldTypeMsg, path: number[], structs: StructDefs): Promise<unknown> {
  if (type.data_type === 'STRUCT') return collectStruct(ctx, type.struct_name!, path, structs);
  const { value } = await askFor(ctx, 'EthereumTypedDataValueRequest', { member_path: path }, 'EthereumTypedDataValueAck');
  const bytes = value ?? new Uint8Array(0);
  switch (type.data_type) {
    case 'ARRAY': {
      if (bytes.length !== 2) fail('Failure_DataError', 'Invalid length of array size');
      const length = (bytes[0]! << 8) | bytes[1]!;
      if (type.size !== undefined && type.size !== length) fail('Failure_DataError', 'Array size mismatch');
      const items: unknown[] = [];
      for (let j = 0; j < length; j++) items.push(await collectValue(ctx, type.entry_type!, [...path, j], structs));
      return items;
    }
    case 'UINT':
    case 'INT': {
      if (bytes.length !== type.size) fail('Failure_DataError', 'Invalid length of integer');
      let n = bytesToBigInt(bytes);
      if (type.data_type === 'INT' && bytes.length && bytes[0]! & 0x80) n -= BigInt(1) << BigInt(bytes.length * 8);
      return n;
    }
    case 'BYTES':
      if (type.size !== undefined && bytes.length !== type.size) fail('Failure_DataError', 'Invalid length of bytes');
      return hexlify(bytes);
    case 'STRING':
      try {
        return toUtf8String(bytes);
      } catch {
        fail('Failure_DataError', 'Invalid UTF-8');
      }
    case 'BOOL':
      if (bytes.length !== 1 || bytes[0]! > 1) fail('Failure_DataError', 'Invalid boolean value');
      return bytes[0] === 1;
    case 'ADDRESS':
      if (bytes.length !== 20) fail('Failure_DataError', 'Invalid address');
      return getAddress(hexlify(bytes));
    default:
      fail('Failure_DataError', 'Invalid data type');
  }
}

async function signTypedDataHandler(ctx: DeviceContext, request: MessageMap['EthereumSignTypedData']): Promise<Reply> {
  requireFirmware(ctx, 'ethereumSignTypedData');
  const node = await keyAt(ctx, request.address_n ?? []);
  const address = addressOf(node);
  const primaryType = request.primary_type;
  if (request.metamask_v4_compat === false) fail('Failure_DataError', 'Only MetaMask v4 hashing is supported here');
  const current = namesScreens(ctx.layout);
  if (current) await ctx.confirm('ButtonRequest_SignTx', { text: `Signing address\n${address}`, ...screen(ctx, 'confirm_address') });

  const structs: StructDefs = {};
  await collectTypes(ctx, 'EIP712Domain', structs);
  // 2.8.9's collect_types() asks for the primary type even when it is the domain.
  if (primaryType !== 'EIP712Domain' || current) await collectTypes(ctx, primaryType, structs);
  const types: Record<string, TypedDataField[]> = {};
  for (const [name, members] of Object.entries(structs)) {
    types[name] = (members ?? []).map((member) => ({ name: member.name, type: typeName(member.type, structs) }));
  }

  if (current) {
    // _get_name_and_version_for_domain(), then should_show_domain(): "yes" skips the details.
    const domainMembers = structs.EIP712Domain ?? [];
    const shown: string[] = [];
    for (const [i, member] of domainMembers.entries()) {
      if (member.name === 'name' || member.name === 'version') shown.push(String(await collectValue(ctx, member.type, [0, i], structs)));
    }
    await ctx.confirm('ButtonRequest_Other', { text: `Typed data domain\n${shown.join('\n')}`, ...screen(ctx, 'should_show_domain') });
  }
  const domain = await collectStruct(ctx, 'EIP712Domain', [0], structs);
  let domainSeparator: string;
  try {
    domainSeparator = TypedDataEncoder.from({ EIP712Domain: types.EIP712Domain! }).hash(domain);
  } catch {
    fail('Failure_DataError', 'Invalid domain');
  }
  if (!current) {
    await ctx.confirm('ButtonRequest_Other', { text: `Typed data domain: ${JSON.stringify(domain, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}` });
  }

  let messageHash: string | undefined;
  if (current && primaryType === 'EIP712Domain') {
    await ctx.confirm('ButtonRequest_Other', { text: 'Confirm message\nNo message field', ...screen(ctx, 'confirm_empty_typed_message') });
  }
  if (primaryType !== 'EIP712Domain') {
    if (current) await ctx.confirm('ButtonRequest_Other', { text: `Confirm message\n${primaryType}`, ...screen(ctx, 'should_show_struct') });
    const message = await collectStruct(ctx, primaryType, [1], structs);
    const messageTypes = { ...types };
    delete messageTypes.EIP712Domain;
    try {
      messageHash = TypedDataEncoder.from(messageTypes).hashStruct(primaryType, message);
    } catch {
      fail('Failure_DataError', 'Invalid typed data');
    }
  }
  await ctx.confirm('ButtonRequest_Other', {
    text: `Really sign EIP-712 typed data? ${messageHash ?? ''}`,
    ...screen(ctx, 'confirm_typed_data_final', { Bolt: 1, Caesar: 1, Delizia: 2 }),
  });
  const digest = keccak256(concat(['0x1901', domainSeparator, ...(messageHash ? [messageHash] : [])]));
  return { type: 'EthereumTypedDataSignature', message: { signature: signature65(node, digest), address } };
}

// ----------------------------------------------------------------------------------------------

function hex(bytes: Uint8Array): string {
  return hexlify(bytes).slice(2);
}

function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toBytes(hexText: string): Uint8Array {
  return fromHex(hexText.replace(/^0x/, '').padStart(64, '0'));
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? BigInt(0) : BigInt(hexlify(bytes));
}

/**
 * The Ethereum message handlers, registered by the VirtualTrezor core (handlers/index.ts).
 * @example new VirtualTrezor({ mnemonic, handlers: [ethereumHandlers] }) // also registered by default
 */
export const ethereumHandlers: HandlerTable = {
  EthereumGetAddress: getAddressHandler,
  EthereumGetPublicKey: getPublicKeyHandler,
  EthereumSignTx: signTxHandler,
  EthereumSignTxEIP1559: signTxEip1559Handler,
  EthereumSignMessage: signMessageHandler,
  EthereumVerifyMessage: verifyMessageHandler,
  EthereumSignTypedHash: signTypedHashHandler,
  EthereumSignTypedData: signTypedDataHandler,
};
