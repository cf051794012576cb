/**
 * THP pairing, host side (specification "Pairing phase"; trezorlib 0.20.1 thp/pairing.py): the
 * first time a host meets a device, the user proves that no one sits between them.
 *
 * ThpPairingRequest(host, app) → the device asks the user to allow pairing (ButtonRequest) →
 * ThpPairingRequestApproved → ThpSelectMethod, then per method:
 * - code entry: ThpCodeEntryCommitment ← / ThpCodeEntryChallenge → / ThpCodeEntryCpaceTrezor ←,
 *   the device shows a 6-digit code, `ui.pairing({ method: 'code' })` returns what the user
 *   typed, ThpCodeEntryCpaceHostTag (CPace over the code and the handshake hash) →,
 *   ThpCodeEntrySecret ← — which must match the commitment and give the same code
 *   (THP core `CodeEntryHost`);
 * - QR: ThpPairingPreparationsFinished ←, the device shows a QR code of 16 bytes (hex),
 *   `ui.pairing({ method: 'qr' })` returns it, ThpQrCodeTag →, ThpQrCodeSecret ← which must
 *   give the same 16 bytes;
 * - skip (debug firmware only): the device answers ThpEndResponse at once.
 *
 * What the user can do about a failure: refused on the device or in the app → PairingCancelled;
 * a wrong code → PairingCodeInvalid (connect again: a new code is shown); a device whose secret
 * does not match what it committed to → VerificationFailed (something is in the middle).
 */
import { withSignal } from '../../abort.js';
import { TrezorError, invalidParameter, isTrezorError } from '../../errors.js';
import type { ThpDeviceProperties } from '../../messages/index.js';
import type { PairingAnswer, PairingMethod, UiHandlers } from '../../session/ui.js';
import { CodeEntryHost, qrCode, qrCodeTag } from '../thp/index.js';
import type { ThpLink } from './link.js';

/** Wire names of the methods (ThpPairingMethod) and their numbers. */
const WIRE: Record<PairingMethod, { name: 'SkipPairing' | 'CodeEntry' | 'QrCode'; number: number }> = {
  skip: { name: 'SkipPairing', number: 1 },
  code: { name: 'CodeEntry', number: 2 },
  qr: { name: 'QrCode', number: 3 },
};

/**
 * The pairing methods a device offers (ThpDeviceProperties.pairing_methods), in our names. NFC
 * needs an NFC reader this library does not drive: it is left out.
 * @example offeredMethods({ internal_model: 'T3W1', protocol_version_major: 2, protocol_version_minor: 1, pairing_methods: ['CodeEntry'] }) // ['code']
 */
export function offeredMethods(properties: ThpDeviceProperties): PairingMethod[] {
  const offered = properties.pairing_methods ?? [];
  return (Object.keys(WIRE) as PairingMethod[]).filter((m) => offered.some((o: string | number) => o === WIRE[m].name || o === WIRE[m].number));
}

export interface PairContext {
  ui: UiHandlers;
  signal?: AbortSignal;
  handshakeHash: Uint8Array;
  /** What the device offers. */
  methods: PairingMethod[];
  /** What the application accepts, best first. */
  preference: readonly PairingMethod[];
  appName: string;
  hostName: string;
}

/**
 * Pair with the device on `link`. Resolves 'ended' when the method also ended the pairing phase
 * (skip: the device answered ThpEndResponse), else 'paired' (credential phase follows).
 */
export async function pair(link: ThpLink, context: PairContext): Promise<'paired' | 'ended'> {
  const { ui, signal, methods } = context;
  if (!Array.isArray(context.preference) || context.preference.some((m: unknown) => typeof m !== 'string' || !(m in WIRE))) {
    throw invalidParameter('pairingMethods', "expected a list of 'code', 'qr', 'skip'");
  }
  const method: PairingMethod | undefined = context.preference.find((m) => methods.includes(m));
  if (!method) {
    throw new TrezorError('NotSupported', `The device offers pairing by ${methods.join(', ') || 'no method'} this application accepts (pairingMethods: ${context.preference.join(', ')})`);
  }
  if (method !== 'skip' && !ui.pairing) {
    throw new TrezorError('PairingRequired', 'This device has not been paired with this application: give ui.pairing to pair (the device will show a code)');
  }
  try {
    await link.exchange('ThpPairingRequest', { host_name: context.hostName, app_name: context.appName }, 'ThpPairingRequestApproved', ui, signal);
  } catch (error) {
    if (isTrezorError(error, 'ActionCancelled')) throw new TrezorError('PairingCancelled', 'Pairing was refused on the device', { cause: error });
    throw error;
  }
  const select = { selected_pairing_method: WIRE[method].name };
  if (method === 'skip') {
    await link.exchange('ThpSelectMethod', select, 'ThpEndResponse', ui, signal);
    return 'ended';
  }
  if (method === 'code') {
    const { commitment } = await link.exchange('ThpSelectMethod', select, 'ThpCodeEntryCommitment', ui, signal);
    const host = new CodeEntryHost(context.handshakeHash, commitment);
    const { cpace_trezor_public_key } = await link.exchange('ThpCodeEntryChallenge', { challenge: host.challenge }, 'ThpCodeEntryCpaceTrezor', ui, signal);
    host.readCpaceTrezor(cpace_trezor_public_key);
    const code = normaliseCode(await ask(ui, 'code', methods, signal), 'code');
    const { secret } = await tagExchange(() => link.exchange('ThpCodeEntryCpaceHostTag', host.hostTag(code), 'ThpCodeEntrySecret', ui, signal));
    try {
      host.readSecret(secret, code);
    } catch (cause) {
      throw new TrezorError('VerificationFailed', 'The device revealed a pairing secret that does not match its commitment or the code: the connection may be intercepted', { cause });
    }
    return 'paired';
  }
  await link.exchange('ThpSelectMethod', select, 'ThpPairingPreparationsFinished', ui, signal);
  const hex = normaliseCode(await ask(ui, 'qr', methods, signal), 'qr');
  const scanned = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
  const { secret } = await tagExchange(() => link.exchange('ThpQrCodeTag', { tag: qrCodeTag(context.handshakeHash, scanned) }, 'ThpQrCodeSecret', ui, signal));
  const expected = qrCode(context.handshakeHash, secret);
  if (expected.length !== scanned.length || expected.some((b, i) => b !== scanned[i])) {
    throw new TrezorError('VerificationFailed', 'The device revealed a QR pairing secret that does not give the scanned code: the connection may be intercepted');
  }
  return 'paired';
}

/** The device rejects a wrong code's tag with Failure(DataError) (core/src/apps/thp/pairing.py). */
async function tagExchange<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isTrezorError(error, 'FirmwareError') && error.failureCode === 3) {
      throw new TrezorError('PairingCodeInvalid', 'The code does not match the one the device showed: connect again for a new code', { cause: error });
    }
    throw error;
  }
}

async function ask(ui: UiHandlers, method: 'code' | 'qr', methods: PairingMethod[], signal?: AbortSignal): Promise<unknown> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const answer: PairingAnswer | undefined = await withSignal(
      Promise.resolve().then(() => ui.pairing!({ method, methods: [...methods], signal: controller.signal })),
      signal,
    );
    return answer?.code;
  } catch (cause) {
    if (signal?.aborted) throw new TrezorError('ActionCancelled', 'connect() was aborted', { cause: signal.reason });
    throw new TrezorError('PairingCancelled', 'Pairing was cancelled in the application', { cause: isTrezorError(cause) ? cause : undefined });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}

/** Code entry: 6 digits (spaces allowed, as the device shows '123 456'); QR: 32 hex digits. */
function normaliseCode(value: unknown, method: 'code' | 'qr'): string {
  const text = typeof value === 'string' ? value.replace(/\s+/g, '') : '';
  if (method === 'code' && /^[0-9]{6}$/.test(text)) return text;
  if (method === 'qr' && /^[0-9a-fA-F]{32}$/.test(text)) return text.toLowerCase();
  throw invalidParameter('code', method === 'code' ? 'expected the 6 digits the device shows' : 'expected the QR payload as 32 hex digits');
}
