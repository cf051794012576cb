/**
 * A bridge for MetaMask's Trezor keyring (`@metamask/eth-trezor-keyring`) that talks to the
 * device through trezor-direct instead of Trezor Connect's popup.
 *
 * The keyring takes any object with the shape of its `TrezorBridge` type (dist/trezor-bridge.d.ts
 * of the package, version 9): `model`, `init`, `dispose`, `getPublicKey`,
 * `ethereumSignTransaction`, `ethereumSignMessage`, `ethereumSignTypedData`. Each method
 * answers as Trezor Connect does, `{ success: true, payload }` or
 * `{ success: false, payload: { error, code } }`, with Connect's payload formats (hex without 0x
 * for keys and message signatures, 0x-hex for transaction v/r/s and typed-data signatures),
 * because that is what the keyring reads. The types here are written out structurally: this
 * module imports nothing from the keyring or from Trezor Connect.
 *
 * Underneath are trezor-direct's own Ethereum calls, so every signature is recovered on the host
 * and must come from the path's address before the keyring sees it. The device is connected on
 * the first call (or at init when `lazyLoad: false`), and again after it was unplugged.
 * Failures carry Connect's code in `payload.code` (`Failure_ActionCancelled`, …: what the
 * `TrezorBridge` type allows) and trezor-direct's own (`ActionCancelled`, …) in
 * `payload.trezorCode`.
 */
import { Transaction, getBytes, hashMessage, isHexString, recoverAddress, toUtf8Bytes } from 'ethers';
import type { TransactionLike } from 'ethers';
import { TrezorError, invalidParameter, isTrezorError, type TrezorErrorCode } from '../errors.js';
import { formatPath, parsePath } from '../path.js';
import { connect, type ConnectOptions } from '../session/connect.js';
import type { Trezor } from '../session/trezor.js';
import { getPublicKey, signMessage, signTransaction, signTypedData } from '../ethereum/device.js';
import { prepareTypedData } from '../ethereum/typed-data.js';
import { toConnectCode, type ConnectErrorCode } from '../connect-web/codes.js';

/** Trezor Connect's answer envelope, as the keyring reads it. */
export type BridgeResponse<T> =
  | { success: true; payload: T }
  | { success: false; payload: { error: string; code?: ConnectErrorCode; trezorCode?: TrezorErrorCode } };

/** `getPublicKey` payload: Connect's HDNodeResponse fields (hex without 0x). */
export interface BridgePublicKey {
  publicKey: string;
  chainCode: string;
  path: number[];
  serializedPath: string;
  xpub: string;
  childNum: number;
  fingerprint: number;
  depth: number;
}

/** A transaction as the keyring hands it over: Connect's EthereumTransaction (hex quantities). */
export interface BridgeTransaction {
  to?: string | null;
  value?: string;
  gasPrice?: string;
  gasLimit: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  nonce: string;
  data?: string;
  chainId: number;
  accessList?: { address: string; storageKeys: string[] }[];
  /** Wanchain's tx type: not supported. */
  txType?: number;
}

/** `ethereumSignTransaction` payload: 0x-hex v, r, s and the signed transaction. */
export interface BridgeSignedTx {
  v: string;
  r: string;
  s: string;
  serializedTx: string;
}

/** The typed-data request of the keyring (Connect's EthereumSignTypedHash parameters). */
export interface BridgeTypedDataParameters {
  path: string | number[];
  data: {
    types: Record<string, readonly { name: string; type: string }[]>;
    /** A string; typed loosely because Connect types it as `keyof` its types object. */
    primaryType: PropertyKey;
    domain: Record<string, unknown>;
    message: Record<string, unknown>;
  };
  metamask_v4_compat: boolean;
  /** 0x-hex; the keyring computes them for the Trezor One. When given, they must match ours. */
  domain_separator_hash?: string;
  message_hash?: string;
}

/** What `@metamask/eth-trezor-keyring`'s `TrezorBridge` asks for. */
export interface TrezorKeyringBridge {
  /** The device's Features.model ('1', 'T', 'Safe 3', …) once connected. */
  model?: string;
  init(settings?: { lazyLoad?: boolean }): Promise<void>;
  dispose(): Promise<void>;
  getPublicKey(params: { path: string | number[]; coin?: string }): Promise<BridgeResponse<BridgePublicKey>>;
  ethereumSignTransaction(params: { path: string | number[]; transaction: BridgeTransaction }): Promise<BridgeResponse<BridgeSignedTx>>;
  ethereumSignMessage(params: { path: string | number[]; message: string; hex?: boolean }): Promise<BridgeResponse<{ address: string; signature: string }>>;
  ethereumSignTypedData(params: BridgeTypedDataParameters): Promise<BridgeResponse<{ address: string; signature: string }>>;
}

/** connect() options; `signal` is left out: the bridge lives longer than one call. */
export type CreateKeyringBridgeParameters = Omit<ConnectOptions, 'signal'>;

/**
 * A `TrezorBridge` for `new TrezorKeyring({ bridge })`, on a trezor-direct transport: no popup.
 * @example
 * // TrezorKeyring: the app's own, from @metamask/eth-trezor-keyring
 * const bridge = createKeyringBridge({ transport: webUsb(), ui: { button: () => showConfirmHint() } });
 * const keyring = new TrezorKeyring({ bridge });
 * await keyring.init();
 * const [address] = await keyring.addAccounts(1);
 */
export function createKeyringBridge(parameters: CreateKeyringBridgeParameters): TrezorKeyringBridge {
  if (typeof parameters !== 'object' || parameters === null) throw invalidParameter('parameters', 'expected { transport, ui? }');
  if (!parameters.transport || typeof parameters.transport.open !== 'function') {
    throw invalidParameter('transport', 'expected a Transport (e.g. webUsb())');
  }
  let opening: Promise<Trezor> | undefined;

  /** The connected device; connects on first use and after an unplug. */
  const device = (): Promise<Trezor> => {
    opening ??= connect(parameters).then(
      (trezor) => {
        bridge.model = trezor.features.model ?? undefined;
        trezor.on('disconnect', () => {
          opening = undefined;
        });
        return trezor;
      },
      (error: unknown) => {
        opening = undefined;
        throw error;
      },
    );
    return opening;
  };

  const bridge: TrezorKeyringBridge = {
    async init(settings) {
      if (settings?.lazyLoad === false) await device();
    },

    async dispose() {
      const pending = opening;
      opening = undefined;
      const trezor = await pending?.catch(() => undefined);
      await trezor?.close();
    },

    getPublicKey: (params) =>
      answer(async () => {
        const path = parsePath(params?.path);
        const key = await getPublicKey(await device(), { path });
        return {
          publicKey: key.publicKey.slice(2),
          chainCode: key.chainCode.slice(2),
          path,
          serializedPath: formatPath(path),
          xpub: key.xpub,
          childNum: key.childNum,
          fingerprint: key.fingerprint,
          depth: key.depth,
        };
      }),

    ethereumSignTransaction: (params) =>
      answer(async () => {
        const tx = transactionFromBridge(params?.transaction);
        const raw = await signTransaction(await device(), { path: params.path, tx });
        const signed = Transaction.from(raw);
        const signature = signed.signature!;
        // Connect's v: the EIP-155 value for legacy transactions, the y-parity for typed ones.
        const v = signed.type === 0 ? BigInt(2) * signed.chainId + BigInt(35) + BigInt(signature.yParity) : BigInt(signature.yParity);
        return { v: `0x${v.toString(16)}`, r: signature.r, s: signature.s, serializedTx: raw };
      }),

    ethereumSignMessage: (params) =>
      answer(async () => {
        const message = messageFromBridge(params);
        const signature = await signMessage(await device(), { path: params.path, message });
        // signMessage has checked that it recovers to the path's address: that is the signer.
        return { address: recoverAddress(hashMessage(message), signature), signature: signature.slice(2) };
      }),

    ethereumSignTypedData: (params) =>
      answer(async () => {
        if (typeof params !== 'object' || params === null || typeof params.data !== 'object' || params.data === null) {
          throw invalidParameter('data', 'expected { types, primaryType, domain, message }');
        }
        if (params.metamask_v4_compat !== true) {
          throw new TrezorError('NotSupported', 'Only eth_signTypedData_v4 (metamask_v4_compat: true) is supported', { field: 'metamask_v4_compat' });
        }
        const { types, primaryType, domain, message } = params.data;
        if (typeof primaryType !== 'string') throw invalidParameter('data.primaryType', 'expected a string');
        const input = { types, primaryType, domain, message };
        const prepared = prepareTypedData(input);
        // The keyring hashes the data itself too (for the Trezor One): two hashings that
        // disagree mean the device would be shown something else than what was asked for.
        for (const [field, ours] of [
          ['domain_separator_hash', prepared.domainSeparator],
          ['message_hash', prepared.messageHash],
        ] as const) {
          const theirs = params[field];
          if (theirs && ours && theirs.toLowerCase().replace(/^0x/, '') !== ours.toLowerCase().slice(2)) {
            throw new TrezorError('InvalidParameters', `${field} does not match the typed data`, { field });
          }
        }
        const trezor = await device();
        const signature = await signTypedData(trezor, { path: params.path, ...input });
        return { address: recoverAddress(prepared.digest, signature), signature };
      }),
  };
  return bridge;
}

/** Run a call and wrap its outcome the way Trezor Connect does. */
async function answer<T>(run: () => Promise<T>): Promise<BridgeResponse<T>> {
  try {
    return { success: true, payload: await run() };
  } catch (error) {
    if (isTrezorError(error)) return { success: false, payload: { error: error.message, code: toConnectCode(error), trezorCode: error.code } };
    return { success: false, payload: { error: error instanceof Error ? error.message : String(error), code: 'Runtime' } };
  }
}

/** Connect's EthereumTransaction (hex strings, as the keyring builds it) → ethers TransactionLike. */
function transactionFromBridge(transaction: BridgeTransaction | undefined): TransactionLike<string> {
  if (typeof transaction !== 'object' || transaction === null) throw invalidParameter('transaction', 'expected a transaction object');
  if (transaction.txType !== undefined && transaction.txType !== null) {
    throw new TrezorError('NotSupported', 'Wanchain transactions (txType) are not supported', { field: 'transaction.txType' });
  }
  const quantity = (value: string | undefined, field: string): bigint | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !isHexString(value)) throw invalidParameter(`transaction.${field}`, 'expected a 0x-hex quantity');
    return value === '0x' ? BigInt(0) : BigInt(value);
  };
  const nonce = quantity(transaction.nonce, 'nonce');
  // The keyring writes '0x' for "no recipient" (contract creation).
  const to = transaction.to === '0x' || transaction.to === '' ? null : transaction.to;
  const common = {
    chainId: transaction.chainId,
    nonce: nonce === undefined || nonce > BigInt(Number.MAX_SAFE_INTEGER) ? (nonce as never) : Number(nonce),
    gasLimit: quantity(transaction.gasLimit, 'gasLimit'),
    to: to ?? null,
    value: quantity(transaction.value, 'value') ?? BigInt(0),
    data: transaction.data ?? '0x',
  };
  // As Connect decides: fee-market fields make an EIP-1559 transaction, otherwise legacy.
  if (transaction.maxFeePerGas !== undefined && transaction.maxFeePerGas !== null) {
    return {
      ...common,
      type: 2,
      maxFeePerGas: quantity(transaction.maxFeePerGas, 'maxFeePerGas'),
      maxPriorityFeePerGas: quantity(transaction.maxPriorityFeePerGas, 'maxPriorityFeePerGas'),
      accessList: transaction.accessList ?? [],
    };
  }
  return { ...common, type: 0, gasPrice: quantity(transaction.gasPrice, 'gasPrice'), ...(transaction.accessList?.length ? { accessList: transaction.accessList } : {}) };
}

/** The message bytes: hex when `hex` is set (the keyring always sets it), else UTF-8 text. */
function messageFromBridge(params: { message: string; hex?: boolean } | undefined): Uint8Array {
  if (typeof params !== 'object' || params === null || typeof params.message !== 'string') throw invalidParameter('message', 'expected a string');
  if (!params.hex) return toUtf8Bytes(params.message);
  const hex = params.message.startsWith('0x') ? params.message : `0x${params.message}`;
  if (!isHexString(hex) || hex.length % 2 !== 0) throw invalidParameter('message', 'expected hex (hex: true)');
  return getBytes(hex);
}
