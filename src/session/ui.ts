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

/**
 * How the Trezor One wants the next recovery word (WordRequest.type): `plain` — type the word
 * the device shows or names; `matrix9` / `matrix6` — the position (1-9 / 1-6) of the letter group
 * the user picks on the device's scrambled 3×3 / 2×3 grid.
 */
export type WordRequestKind = 'plain' | 'matrix9' | 'matrix6';

export interface WordRequest {
  type: WordRequestKind;
  /** Aborted when the call is cancelled: close your word field. */
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
  /**
   * Trezor One recovery: return the word (`plain`) or the grid position of the chosen letter
   * group: '1'-'9' for `matrix9` (7 8 9 / 4 5 6 / 1 2 3, as the PIN keypad) and '1'-'6' for
   * `matrix6` (5 6 / 3 4 / 1 2). The device
   * says on its own screen which word it wants (fake words included), so the host never learns
   * the word's position. Without this handler a word request cancels the call (ActionCancelled).
   */
  word?: (request: WordRequest) => Promise<string>;
  /**
   * The device waits for the user to confirm something on its screen: called once the
   * ButtonAck is out, so the device is already waiting (a test may press through the debug
   * link right here; `trezor.on('button')` comes at the same moment).
   */
  button?: (request: ButtonRequestInfo) => void;
}
