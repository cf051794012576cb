/**
 * Error codes between trezor-direct and Trezor Connect, both ways. Connect answers
 * `{ success: false, payload: { error, code } }` with its own code strings (its
 * src/constants/errors.ts names, plus the firmware's FailureType names); trezor-direct throws a
 * TrezorError with one of its codes (DESIGN.md §Errors). The keyring bridge speaks
 * Connect's codes outward (so it type-checks as MetaMask's `TrezorBridge`), the connect-web
 * adapter turns Connect's codes into TrezorErrors. The strings are facts of Connect's public
 * API, written out here; nothing is imported from it.
 */
import { TrezorError, type TrezorErrorCode } from '../errors.js';
import { failureToError } from '../session/failure.js';

/** The Connect codes this module emits (a subset of Connect's `ErrorCode`). */
export type ConnectErrorCode =
  | 'Failure_ActionCancelled'
  | 'Failure_PinInvalid'
  | 'Failure_PinCancelled'
  | 'Failure_PinExpected'
  | 'Failure_UnexpectedMessage'
  | 'Failure_DataError'
  | 'Failure_ProcessError'
  | 'Failure_FirmwareError'
  | 'Method_Cancel'
  | 'Method_InvalidParameter'
  | 'Method_AddressNotMatch'
  | 'Device_Disconnected'
  | 'Device_CallInProgress'
  | 'Device_MissingCapability'
  | 'Runtime';

const TO_CONNECT: Record<TrezorErrorCode, ConnectErrorCode> = {
  ActionCancelled: 'Failure_ActionCancelled',
  PinInvalid: 'Failure_PinInvalid',
  PinCancelled: 'Failure_PinCancelled',
  PassphraseCancelled: 'Method_Cancel',
  DeviceDisconnected: 'Device_Disconnected',
  DeviceBusy: 'Device_CallInProgress',
  DeviceLocked: 'Failure_PinExpected',
  UnexpectedMessage: 'Failure_UnexpectedMessage',
  FirmwareError: 'Failure_FirmwareError',
  ProtocolError: 'Runtime',
  Timeout: 'Runtime',
  NotSupported: 'Device_MissingCapability',
  InvalidParameters: 'Method_InvalidParameter',
  VerificationFailed: 'Method_AddressNotMatch',
  // THP pairing and channel errors: Connect reports these as its generic runtime / cancel codes.
  PairingRequired: 'Runtime',
  PairingCancelled: 'Method_Cancel',
  PairingCodeInvalid: 'Runtime',
  CredentialsRejected: 'Runtime',
  ChannelLost: 'Device_Disconnected',
};

/** FailureType numbers (messages-common.proto) that Connect reports under their own name. */
const FAILURE_NAMES: Record<number, ConnectErrorCode> = { 3: 'Failure_DataError', 9: 'Failure_ProcessError' };

/**
 * The Connect code for a trezor-direct error.
 * @example toConnectCode(new TrezorError('ActionCancelled', 'Cancelled')) // 'Failure_ActionCancelled'
 */
export function toConnectCode(error: TrezorError): ConnectErrorCode {
  if (error.code === 'FirmwareError' && error.failureCode !== undefined) return FAILURE_NAMES[error.failureCode] ?? 'Failure_FirmwareError';
  return TO_CONNECT[error.code] ?? 'Runtime';
}

const FROM_CONNECT: Record<string, TrezorErrorCode> = {
  Method_Cancel: 'ActionCancelled',
  Method_Interrupted: 'ActionCancelled',
  Method_PermissionsNotGranted: 'ActionCancelled',
  Method_InvalidParameter: 'InvalidParameters',
  Method_UnknownCoin: 'InvalidParameters',
  Method_AddressNotMatch: 'VerificationFailed',
  Method_NotAllowed: 'NotSupported',
  Method_Unsupported: 'NotSupported',
  Device_MissingCapability: 'NotSupported',
  Device_MissingCapabilityBtcOnly: 'NotSupported',
  Device_FwException: 'NotSupported',
  Device_Disconnected: 'DeviceDisconnected',
  Device_NotFound: 'DeviceDisconnected',
  Transport_Missing: 'DeviceDisconnected',
  Device_CallInProgress: 'DeviceBusy',
  Device_UsedElsewhere: 'DeviceBusy',
};

/**
 * The TrezorError for a Connect failure payload. Device failures (`Failure_*`) map as the direct
 * path maps them; Connect's own codes by the table above; anything else is a ProtocolError
 * that keeps Connect's code and text in its message.
 * @example fromConnectFailure({ error: 'Cancelled', code: 'Failure_ActionCancelled' }).code // 'ActionCancelled'
 */
export function fromConnectFailure(payload: { error?: unknown; code?: unknown } | undefined): TrezorError {
  const text = typeof payload?.error === 'string' ? payload.error : 'Trezor Connect call failed';
  const code = typeof payload?.code === 'string' ? payload.code : undefined;
  if (code?.startsWith('Failure_') && code !== 'Failure_UnknownCode' && code !== 'Failure_EntropyCheck') {
    return failureToError({ code, message: text });
  }
  const mapped = code ? FROM_CONNECT[code] : undefined;
  if (mapped === 'InvalidParameters') return new TrezorError(mapped, `Trezor Connect: ${text}`, { field: 'parameters' });
  return new TrezorError(mapped ?? 'ProtocolError', `Trezor Connect${code ? ` (${code})` : ''}: ${text}`);
}
