/**
 * An ethers v6 Signer backed by a Trezor: plug it wherever ethers takes a Signer (contracts,
 * `sendTransaction`, `signTypedData`). Transactions are completed through the connected
 * provider first (nonce, gas limit, chain id, EIP-1559 fees — ethers' populateTransaction),
 * then signed on the device; on firmware without EIP-1559 (Trezor One < 1.10.4, Model T
 * < 2.4.2) a transaction without explicit fee fields is populated as a legacy one instead.
 */
import { TypedDataEncoder } from 'ethers/hash';
import { AbstractSigner } from 'ethers/providers';
import { Transaction } from 'ethers/transaction';
import type { Provider, TransactionLike, TransactionRequest, TypedDataDomain, TypedDataField } from 'ethers';
import { invalidParameter } from '../errors.js';
import { formatPath, parsePath, type Path } from '../path.js';
import type { Trezor } from '../session/trezor.js';
import { getAddress, signMessage, signTransaction, signTypedData, supportsEip1559, type EthereumDefinitions } from './device.js';

export interface TrezorSignerOptions {
  /** BIP-32 path of the account (default m/44'/60'/0'/0/0). */
  path?: Path;
  /** The node used to populate and send transactions; null for signing only. */
  provider?: Provider | null;
  /** Signed network / token definitions passed to the device with each transaction. */
  definitions?: EthereumDefinitions;
}

const DEFAULT_PATH = "m/44'/60'/0'/0/0";

/**
 * A ready ethers Transaction, recognised by shape rather than `instanceof`: an app whose tree
 * holds a second copy of ethers passes a Transaction of another class, which must still be
 * signed as given and not re-populated as a request.
 */
function isEthersTransaction(tx: TransactionRequest | Transaction): tx is Transaction {
  return tx instanceof Transaction || (typeof (tx as Transaction).inferTypes === 'function' && 'unsignedSerialized' in tx);
}

/**
 * ethers Signer for one account on a Trezor.
 * @example const signer = new TrezorSigner(trezor, { path: "m/44'/60'/0'/0/0", provider }); await signer.sendTransaction({ to, value })
 */
export class TrezorSigner extends AbstractSigner {
  readonly trezor: Trezor;
  /** The account path, as "m/44'/60'/0'/0/0". */
  readonly path: string;
  readonly definitions?: EthereumDefinitions;
  #address: Promise<string> | undefined;

  constructor(trezor: Trezor, options: TrezorSignerOptions = {}) {
    super(options.provider ?? null);
    if (!trezor || typeof (trezor as { exclusive?: unknown }).exclusive !== 'function') throw invalidParameter('trezor', 'expected a connected Trezor');
    this.trezor = trezor;
    this.path = formatPath(parsePath(options.path ?? DEFAULT_PATH));
    if (options.definitions) this.definitions = options.definitions;
  }

  /** A signer for the same device and path on another provider. */
  connect(provider: Provider | null): TrezorSigner {
    return new TrezorSigner(this.trezor, { path: this.path, provider, ...(this.definitions ? { definitions: this.definitions } : {}) });
  }

  /** The account's address (asked from the device once, silently). */
  async getAddress(): Promise<string> {
    this.#address ??= getAddress(this.trezor, { path: this.path }).catch((e: unknown) => {
      this.#address = undefined;
      throw e;
    });
    return this.#address;
  }

  /** Complete a transaction through the provider; legacy fees when the firmware lacks EIP-1559. */
  override async populateTransaction(tx: TransactionRequest): Promise<TransactionLike<string>> {
    if (tx.type == null && tx.maxFeePerGas == null && tx.maxPriorityFeePerGas == null && !supportsEip1559(this.trezor)) {
      tx = { ...tx, type: 0 };
    }
    return super.populateTransaction(tx);
  }

  /** Sign a transaction (populated through the provider when there is one); returns the raw signed tx. */
  async signTransaction(tx: TransactionRequest | Transaction): Promise<string> {
    let ready: TransactionLike<string>;
    if (isEthersTransaction(tx)) ready = tx;
    else if (this.provider) ready = await this.populateTransaction(tx);
    else ready = await this.populateCall(tx);
    return signTransaction(this.trezor, {
      path: this.path,
      tx: ready,
      ...(this.definitions ? { definitions: this.definitions } : {}),
    });
  }

  /** EIP-191 personal message signature. */
  async signMessage(message: string | Uint8Array): Promise<string> {
    return signMessage(this.trezor, { path: this.path, message });
  }

  /** EIP-712 signature; ENS names in the domain or values are resolved through the provider. */
  async signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    // ethers wants the types without EIP712Domain; the device side accepts either.
    const { EIP712Domain: _domainType, ...structs } = types;
    const resolved = await TypedDataEncoder.resolveNames(domain, structs, value, async (name: string) => {
      if (!this.provider) throw invalidParameter('typedData', `cannot resolve ENS name ${name} without a provider`);
      const address = await this.provider.resolveName(name);
      if (!address) throw invalidParameter('typedData', `ENS name ${name} does not resolve`);
      return address;
    });
    return signTypedData(this.trezor, { path: this.path, domain: resolved.domain, types, message: resolved.value });
  }
}
