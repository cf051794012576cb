/**
 * trezor-direct's Bitcoin calls (getAddress, getPublicKey, signPsbt, signMessage) through a
 * Trezor Connect object, with the same parameters, results and host-side checks as the direct
 * ones in ../bitcoin/:
 *  - getAddress: the address must be one of the coin and script type asked for;
 *  - getPublicKey: the xpub Connect returns must be the encoding of the node it returns, at the
 *    requested depth and child number; the result's xpub is encoded here (SLIP-132 version);
 *  - signPsbt: the PSBT is read and checked by the same code as the direct path (parsePsbt,
 *    planSigning), turned into Connect's signTransaction inputs, outputs and previous
 *    transactions (`refTxs`, so Connect never looks them up on a blockchain backend), and the
 *    signatures and serialized transaction that come back go through the same verification
 *    (finish: every signature against its sighash and key, the transaction rebuilt);
 *  - signMessage: the signature must verify for the returned address, of the requested type.
 * `onProgress` and `amountUnit` of signPsbt are not available through Connect and are ignored.
 */
import { base64, hex } from '@scure/base';
import { TrezorError, invalidParameter } from '../errors.js';
import { formatPath, parsePath } from '../path.js';
import { addressType, hash160 } from '../bitcoin/address.js';
import { CHANGE_SCRIPT_TYPE, INPUT_SCRIPT_TYPE, getCoin, resolveScriptType, scriptTypeFromPath, xpubVersionFor, type CoinInfo, type ScriptType } from '../bitcoin/coins.js';
import type { GetAddressParameters } from '../bitcoin/getAddress.js';
import type { GetPublicKeyParameters, GetPublicKeyReturnType } from '../bitcoin/getPublicKey.js';
import { messageBytes, verifyMessage, type SignMessageParameters, type SignMessageReturnType } from '../bitcoin/message.js';
import { finish, parsePsbt, planSigning, type PsbtSource, type SignPsbtParameters, type SignPsbtReturnType } from '../bitcoin/signPsbt.js';
import { encodeXpub } from '../bitcoin/xpub.js';
import { run, type ConnectRefTransaction, type ConnectTxInput, type ConnectTxOutput, type TrezorConnectLike } from './connect.js';

/** The Bitcoin half of {@link fromTrezorConnect}'s result. */
export interface ConnectBitcoin {
  getAddress(parameters: GetAddressParameters): Promise<string>;
  getPublicKey(parameters: GetPublicKeyParameters): Promise<GetPublicKeyReturnType>;
  signPsbt(psbt: PsbtSource, options?: SignPsbtParameters): Promise<SignPsbtReturnType>;
  signMessage(parameters: SignMessageParameters): Promise<SignMessageReturnType>;
}

/**
 * Bitcoin calls over Trezor Connect (use {@link fromTrezorConnect}).
 * @example const { txid } = await connectBitcoin(TrezorConnect).signPsbt(psbt, { coin: 'Testnet' })
 */
export function connectBitcoin(connect: TrezorConnectLike): ConnectBitcoin {
  const getPublicKey = async (parameters: GetPublicKeyParameters): Promise<GetPublicKeyReturnType> => {
    const { path, coin: coinName, scriptType, ignoreXpubMagic, show, signal } = parameters ?? ({} as GetPublicKeyParameters);
    const coin = getCoin(coinName);
    const addressN = parsePath(path);
    const type = scriptType === undefined && scriptTypeFromPath(addressN) === undefined ? 'p2pkh' : resolveScriptType(addressN, scriptType, coin);
    const answer = await run(
      connect,
      () =>
        connect.getPublicKey({
          path: addressN,
          coin: coin.name,
          showOnTrezor: show === true,
          scriptType: INPUT_SCRIPT_TYPE[type],
          // No ignoreXpubMagic: Connect (9.7) then fails to read the device's own plain xpub of
          // a segwit path ("Invalid network version"); the xpub is encoded here anyway.
        }),
      signal,
    );
    const mismatch = () => new TrezorError('VerificationFailed', 'The extended key Trezor Connect returned does not match its node or the requested path');
    const publicKey = hexBytes(answer.publicKey, 33);
    const chainCode = hexBytes(answer.chainCode, 32);
    if (!publicKey || !chainCode) throw mismatch();
    const node = { depth: answer.depth, parentFingerprint: answer.fingerprint, childNumber: answer.childNum, chainCode, publicKey };
    const last = addressN[addressN.length - 1];
    if (node.depth !== addressN.length || (last !== undefined && node.childNumber !== last)) throw mismatch();
    // Connect's `xpub` carries the coin's plain version: it must be this very node.
    if (answer.xpub !== encodeXpub({ ...node, version: xpubVersionFor(coin, type, true) })) throw mismatch();
    // The master key's fingerprint: from the key origin of Connect's descriptor, else as the
    // direct path finds it on old firmware.
    const origin = /\[([0-9a-f]{8})[/\]]/.exec(answer.descriptor ?? '')?.[1];
    let root: number;
    if (origin !== undefined) root = Number.parseInt(origin, 16);
    else if (addressN.length === 0) {
      const id = hash160(publicKey);
      root = new DataView(id.buffer, id.byteOffset).getUint32(0);
    }
    else if (addressN.length === 1) root = node.parentFingerprint;
    else root = (await getPublicKey({ path: addressN.slice(0, 1), coin, scriptType: type, ignoreXpubMagic: true, signal })).fingerprint;
    return {
      xpub: encodeXpub({ ...node, version: xpubVersionFor(coin, type, ignoreXpubMagic === true) }),
      publicKey,
      chainCode,
      fingerprint: node.parentFingerprint,
      rootFingerprint: root,
      depth: node.depth,
      childNumber: node.childNumber,
      path: formatPath(addressN),
      scriptType: type,
    };
  };

  return {
    async getAddress(parameters) {
      const { path, coin: coinName, scriptType, show, signal } = parameters ?? ({} as GetAddressParameters);
      const coin = getCoin(coinName);
      const addressN = parsePath(path);
      const type = resolveScriptType(addressN, scriptType, coin);
      const { address } = await run(
        connect,
        () => connect.getAddress({ path: addressN, coin: coin.name, showOnTrezor: show === true, scriptType: INPUT_SCRIPT_TYPE[type] }),
        signal,
      );
      if (typeof address !== 'string' || addressType(coin, address) !== type) {
        throw new TrezorError('VerificationFailed', `Trezor Connect returned ${JSON.stringify(address)}, not a ${coin.name} ${type} address`);
      }
      return address;
    },

    getPublicKey,

    async signPsbt(psbt, options = {}) {
      if (typeof options !== 'object' || options === null) throw invalidParameter('options', 'expected { coin?, signal? }');
      const coin = getCoin(options.coin);
      const tx = parsePsbt(psbt);
      // Paths of another coin are refused here as the device refuses them with its default
      // (strict) safety checks; Connect does not tell which setting the device has.
      // Every key origin counts as the device's (no fingerprint query through Connect), and
      // presigned external inputs are refused as on a device that cannot check them.
      const plan = planSigning(tx, coin, true, undefined, false);
      if (plan.inputs.some((input) => input.multisig || input.external)) {
        throw new TrezorError('NotSupported', 'multisig and external inputs are signed on the direct path only, not through Trezor Connect');
      }
      const inputs: ConnectTxInput[] = plan.inputs.map(({ message }) => ({
        address_n: message.address_n!,
        prev_hash: hex.encode(message.prev_hash),
        prev_index: message.prev_index,
        amount: message.amount.toString(),
        sequence: message.sequence!,
        script_type: message.script_type as ConnectTxInput['script_type'],
      }));
      const outputs: ConnectTxOutput[] = plan.outputs.map((output) => {
        if (output.script_type === 'PAYTOOPRETURN') return { amount: '0', op_return_data: hex.encode(output.op_return_data!), script_type: 'PAYTOOPRETURN' };
        if (output.address_n?.length) return { address_n: output.address_n, amount: output.amount.toString(), script_type: output.script_type as 'PAYTOWITNESS' };
        return { address: output.address!, amount: output.amount.toString(), script_type: 'PAYTOADDRESS' };
      });
      const refTxs: ConnectRefTransaction[] = [...plan.prevTxs].map(([txid, prev]) => ({
        hash: txid,
        version: prev.meta.version!,
        lock_time: prev.meta.lock_time,
        inputs: prev.inputs.map((input) => ({
          prev_hash: hex.encode(input.prev_hash),
          prev_index: input.prev_index,
          script_sig: hex.encode(input.script_sig),
          sequence: input.sequence,
        })),
        bin_outputs: prev.outputs.map((output) => ({ amount: output.amount.toString(), script_pubkey: hex.encode(output.script_pubkey) })),
      }));
      const answer = await run(
        connect,
        () =>
          connect.signTransaction({
            coin: coin.name,
            inputs,
            outputs,
            ...(refTxs.length ? { refTxs } : {}),
            version: plan.version,
            locktime: plan.lockTime,
            push: false,
          }),
        options.signal,
      );
      if (!Array.isArray(answer.signatures) || typeof answer.serializedTx !== 'string' || !/^([0-9a-fA-F]{2})+$/.test(answer.serializedTx)) {
        throw new TrezorError('ProtocolError', 'Trezor Connect answered signTransaction without signatures or a serialized transaction');
      }
      const signatures = plan.inputs.map((_, i) => {
        const signature = answer.signatures[i];
        return typeof signature === 'string' && /^([0-9a-fA-F]{2})+$/.test(signature) ? hex.decode(signature.toLowerCase()) : undefined;
      });
      return finish(tx, plan, signatures, hex.decode(answer.serializedTx.toLowerCase()), false);
    },

    async signMessage(parameters) {
      const { path, message, coin: coinName, scriptType, noScriptType, signal } = parameters ?? ({} as SignMessageParameters);
      const coin = getCoin(coinName);
      const addressN = parsePath(path);
      const type = resolveScriptType(addressN, scriptType, coin);
      if (type === 'p2tr') throw invalidParameter('scriptType', 'taproot message signing (BIP-322) is not supported by the firmware');
      // Connect picks the script type from the path: another one cannot be asked for.
      const fromPath = scriptTypeFromPath(addressN);
      if (fromPath !== undefined && fromPath !== type) {
        throw new TrezorError('NotSupported', `Trezor Connect signs messages with the path's script type (${fromPath}), not ${type}`, { field: 'scriptType' });
      }
      const bytes = messageBytes(message);
      const answer = await run(
        connect,
        () => connect.signMessage({ path: addressN, coin: coin.name, message: hex.encode(bytes), hex: true, ...(noScriptType ? { no_script_type: true } : {}) }),
        signal,
      );
      return checkMessageSignature(coin, type, bytes, answer);
    },
  };
}

/** The direct path's checks of a message signature: it verifies for the address, of the asked type. */
function checkMessageSignature(coin: CoinInfo, type: ScriptType, message: Uint8Array, answer: { address: string; signature: string }): SignMessageReturnType {
  const { address, signature } = answer;
  let valid = false;
  try {
    valid = typeof address === 'string' && typeof signature === 'string' && verifyMessage({ address, message, signature, coin });
  } catch {
    valid = false;
  }
  if (!valid) throw new TrezorError('VerificationFailed', 'The signature Trezor Connect returned does not verify for its address');
  const signedType = addressType(coin, address);
  if (signedType !== type) throw new TrezorError('VerificationFailed', `The device signed for a ${String(signedType)} address, not the ${type} one asked for`);
  // base64 as the direct path returns it (Connect's is base64 already; re-encoded canonically).
  return { address, signature: base64.encode(base64.decode(signature)) };
}

/** Hex of exactly `length` bytes, else undefined. */
function hexBytes(value: unknown, length: number): Uint8Array | undefined {
  if (typeof value !== 'string' || !new RegExp(`^(0x)?[0-9a-fA-F]{${length * 2}}$`).test(value)) return undefined;
  return hex.decode(value.replace(/^0x/, '').toLowerCase());
}

