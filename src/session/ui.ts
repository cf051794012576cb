/**
 * What the session asks of the application while a call runs: the PIN (Trezor One matrix),
 * the passphrase, and "confirm on your device" hints. All optional; see {@link UiHandlers}.
 */

/** Which PIN the Trezor One is asking for (PinMatrixRequest.type). */
export type PinRequestKind = 'current' | 'newFirst' | 'newSecond' | 'wipeCodeFirst' | 'wipeCodeSecond';

export interface PinRequest {
  /** Which PIN is asked for (PinMatrixRequest.type). */
  type: PinRequestKind;
  /** Aborted when the call is cancelled: close your dialog. */
  signal: AbortSignal;
}

export interface PassphraseRequest {
  /** True when the device can take the passphrase on its own screen (capability PassphraseEntry). */
  onDeviceAvailable: boolean;
  signal: AbortSignal;
}

export type PassphraseAnswer = { passphrase: string } | { onDevice: true };

export interface ButtonRequestInfo {
  /** ButtonRequest.code as named by the firmware, e.g. 'ButtonRequest_ConfirmOutput'. */
  code?: string;
  /** Number of pages of a paginated screen. */
  pages?: number;
  /** ButtonRequest.name (newer firmware). */
  name?: string;
}

export interface UiHandlers {
  /**
   * Trezor One: return the PIN as keypad positions of the scrambled matrix the device shows
   * (7 8 9 / 4 5 6 / 1 2 3). Without this handler a PIN request cancels the call (PinCancelled).
   */
  pin?: (request: PinRequest) => Promise<string>;
  /**
   * Return `{ passphrase }` (use '' for the standard wallet) or `{ onDevice: true }`.
   * Without this handler the standard wallet ('') is chosen.
   */
  passphrase?: (request: PassphraseRequest) => Promise<PassphraseAnswer>;
  /** The device waits for the user to confirm something on its screen. */
  button?: (request: ButtonRequestInfo) => void;
}
