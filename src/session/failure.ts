/**
 * Maps a device `Failure` to a TrezorError code (DESIGN.md §Errors). The firmware's text is
 * kept on the error (`failureMessage`) but users branch on `code`.
 * FailureType numbers: trezor-firmware common/protob/messages-common.proto.
 */
import { TrezorError, type TrezorErrorCode } from '../errors.js';

const BY_NAME: Record<string, TrezorErrorCode> = {
  Failure_UnexpectedMessage: 'UnexpectedMessage',
  Failure_ActionCancelled: 'ActionCancelled',
  Failure_PinExpected: 'DeviceLocked',
  Failure_PinCancelled: 'PinCancelled',
  Failure_PinInvalid: 'PinInvalid',
  Failure_Busy: 'DeviceBusy',
  Failure_InProgress: 'DeviceBusy',
  Failure_InvalidProtocol: 'NotSupported',
};

const NUMBERS: Record<string, number> = {
  Failure_UnexpectedMessage: 1, Failure_ButtonExpected: 2, Failure_DataError: 3, Failure_ActionCancelled: 4,
  Failure_PinExpected: 5, Failure_PinCancelled: 6, Failure_PinInvalid: 7, Failure_InvalidSignature: 8,
  Failure_ProcessError: 9, Failure_NotEnoughFunds: 10, Failure_NotInitialized: 11, Failure_PinMismatch: 12,
  Failure_WipeCodeMismatch: 13, Failure_InvalidSession: 14, Failure_Busy: 15, Failure_ThpUnallocatedSession: 16,
  Failure_InvalidProtocol: 17, Failure_InProgress: 19, Failure_FirmwareError: 99,
};

/** Why a THP-only device (the Trezor Safe 7) cannot be used where THP is not available. */
export const THP_ONLY_MESSAGE =
  'The device speaks only the encrypted Trezor Host Protocol (THP), as the Trezor Safe 7 does, which trezor-direct speaks over USB, WebUSB and UDP only';

/**
 * Turn a decoded Failure into the TrezorError the caller sees.
 * @example failureToError({ code: 'Failure_PinInvalid', message: 'Invalid PIN' }).code // 'PinInvalid'
 */
export function failureToError(failure: { code?: string | number; message?: string }): TrezorError {
  const name = typeof failure.code === 'string' ? failure.code : undefined;
  const number = typeof failure.code === 'number' ? failure.code : name ? NUMBERS[name] : undefined;
  const code = (name && BY_NAME[name]) || 'FirmwareError';
  const text = failure.message ?? '';
  const label = name ? name.replace(/^Failure_/, '') : `code ${failure.code ?? '?'}`;
  const message =
    code === 'NotSupported'
      ? THP_ONLY_MESSAGE
      : `Device failure (${label})${text ? `: ${text}` : ''}`;
  return new TrezorError(code, message, { failureCode: number, failureMessage: text });
}
