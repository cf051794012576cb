/**
 * Typed errors. Every failure the library raises is a `TrezorError` with a literal `code`, so
 * callers branch on `err.code`, never on message text. Messages never contain a PIN,
 * passphrase or mnemonic: code that builds one must pass only non-secret values.
 */

export type TrezorErrorCode =
  | 'ActionCancelled'
  | 'PinInvalid'
  | 'PinCancelled'
  | 'PassphraseCancelled'
  | 'DeviceDisconnected'
  | 'DeviceBusy'
  | 'DeviceLocked'
  | 'UnexpectedMessage'
  | 'FirmwareError'
  | 'ProtocolError'
  | 'Timeout'
  | 'NotSupported'
  | 'InvalidParameters'
  | 'VerificationFailed'
  // Trezor Host Protocol (THP) only: see README "Trezor Host Protocol".
  /** The device is not paired with this host and no `ui.pairing` handler was given: pair first. */
  | 'PairingRequired'
  /** Pairing was refused on the device, or the `ui.pairing` handler gave up: nothing was paired. */
  | 'PairingCancelled'
  /** The pairing code (or QR payload) typed on the host does not match the device's: pair again. */
  | 'PairingCodeInvalid'
  /** The stored credentials were not accepted by the device (it was wiped, or revoked them): pair again. */
  | 'CredentialsRejected'
  /** The device dropped the encrypted channel (replaced, unallocated, decryption failed): connect() again. */
  | 'ChannelLost';

export interface TrezorErrorOptions {
  cause?: unknown;
  /** Failure.code as the device sent it (FirmwareError and mapped device failures). */
  failureCode?: number;
  /** Failure.message as the device sent it. */
  failureMessage?: string;
  /** The parameter that was rejected (InvalidParameters). */
  field?: string;
}

/**
 * The one error class of the library.
 * @example
 * try { await getAddress(trezor, { path: "m/84'/0'/0'/0/0" }) }
 * catch (e) { if (isTrezorError(e, 'ActionCancelled')) showRejected() }
 */
export class TrezorError<C extends TrezorErrorCode = TrezorErrorCode> extends Error {
  override readonly name = 'TrezorError';
  readonly code: C;
  readonly failureCode?: number;
  readonly failureMessage?: string;
  readonly field?: string;

  constructor(code: C, message: string, options: TrezorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.failureCode !== undefined) this.failureCode = options.failureCode;
    if (options.failureMessage !== undefined) this.failureMessage = options.failureMessage;
    if (options.field !== undefined) this.field = options.field;
  }
}

/**
 * True when `e` is a TrezorError (optionally of the given code). Checks the name, not
 * `instanceof`, so it still works when two copies of the package are loaded.
 * @example catch (e) { if (isTrezorError(e, 'PinInvalid')) askAgain(); else throw e }
 */
export function isTrezorError<C extends TrezorErrorCode>(e: unknown, code?: C): e is TrezorError<C> {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: unknown; code?: unknown };
  return err.name === 'TrezorError' && typeof err.code === 'string' && (code === undefined || err.code === code);
}

/**
 * InvalidParameters naming the field and what was wrong with it (never the secret value itself).
 * @example throw invalidParameter('outputs[0].amount', 'out of range') // message "outputs[0].amount: out of range"
 */
export function invalidParameter(field: string, problem: string): TrezorError<'InvalidParameters'> {
  return new TrezorError('InvalidParameters', `${field}: ${problem}`, { field });
}

/**
 * A short printable form of a rejected value for an error message: strings quoted and cut at 80
 * characters, bytes by their length, other objects by their kind. Never throws (a BigInt or a
 * cyclic object would make JSON.stringify throw). Never pass a secret: it has no place in a message.
 * @example describeValue('x'.repeat(100)) // '"xxx…"' (80 x)
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value === 'object' && value !== null ? Object.prototype.toString.call(value) : String(value);
}

/**
 * ProtocolError: a malformed frame or message from the device (or the Bridge).
 * @example throw protocolError('continuation report has magic 0x00 instead of 0x3f')
 */
export function protocolError(message: string, cause?: unknown): TrezorError<'ProtocolError'> {
  return new TrezorError('ProtocolError', message, { cause });
}
