/**
 * Sessions on the Trezor Host Protocol, as the `Trezor` class uses them.
 *
 * THP has no Initialize and no PassphraseRequest. An encrypted channel carries numbered
 * sessions (trezor-firmware docs/common/thp/sessions.md): session 0 and any id the host never
 * set up are *seedless* — enough for Features, Ping, settings, device lifecycle — and a session
 * with a seed is made by ThpCreateNewSession on a fresh id, which carries the passphrase (or asks
 * for it on the device) and unlocks the device first (core/src/apps/base.py
 * handle_ThpCreateNewSession). So on THP the library:
 * - reads Features with GetFeatures on session 0 when connecting;
 * - creates the seeded session just before the first message that needs the seed (the same
 *   moment a v1 device would ask for PIN and passphrase), asking `ui.passphrase` then, and
 *   only when the device has passphrase protection on;
 * - reports that session as `trezor.sessionId` (one byte). A channel that replaced this host's
 *   previous one (reconnect with a stored credential while the device still had it) carries its
 *   sessions over (specification "Channel replacement"), so the remembered id is used again
 *   and the passphrase is not asked twice.
 */
import { TrezorError } from '../errors.js';
import type { MessageMap, MessageName } from '../messages/index.js';
import type { PassphraseAnswer, UiHandlers } from './ui.js';

/**
 * Messages a seedless session serves: everything that does not derive keys from the seed
 * (management, firmware, the THP pairing messages, debug). Any other message gets a seeded session.
 */
const SEEDLESS: ReadonlySet<string> = /* @__PURE__ */ new Set<string>([
  'Initialize',
  'GetFeatures',
  'Ping',
  'Cancel',
  'ButtonAck',
  'PinMatrixAck',
  'PassphraseAck',
  'WordAck',
  'LockDevice',
  'EndSession',
  'ApplySettings',
  'ApplyFlags',
  'ChangePin',
  'ChangeWipeCode',
  'WipeDevice',
  'ResetDevice',
  'BackupDevice',
  'RecoveryDevice',
  'SdProtect',
  'SetBusy',
  'GetFirmwareHash',
  'AuthenticateDevice',
  'GetNonce',
  'FirmwareErase',
  'FirmwareUpload',
  'RebootToBootloader',
  'ShowDeviceTutorial',
  'UnlockBootloader',
  'ChangeLanguage',
  'TranslationDataAck',
  'SetBrightness',
  'ThpCreateNewSession',
]);

/**
 * Does `name` need a session with a seed on THP?
 * @example needsSeed('GetAddress') // true; needsSeed('GetFeatures') // false
 */
export function needsSeed(name: MessageName | string): boolean {
  return !SEEDLESS.has(name) && !name.startsWith('Thp') && !name.startsWith('Debug');
}

/** Trezor firmware limit on the passphrase (bytes of UTF-8), core/src/apps/common/passphrase.py. */
const MAX_PASSPHRASE_BYTES = 50;

/**
 * The ThpCreateNewSession to send for this device: asks `ui.passphrase` when the device has
 * passphrase protection and takes it from the host (not when it is always typed on the device).
 * A handler that rejects cancels with PassphraseCancelled; a malformed answer is InvalidParameters.
 * @example await call('ThpCreateNewSession', await newSessionRequest(features, ui, signal))
 */
export async function newSessionRequest(
  features: Readonly<MessageMap['Features']>,
  ui: UiHandlers,
  signal: AbortSignal,
  onDeviceAvailable: boolean,
): Promise<MessageMap['ThpCreateNewSession']> {
  if (!features.passphrase_protection || features.passphrase_always_on_device || !ui.passphrase) return {};
  let answer: PassphraseAnswer;
  try {
    answer = await ui.passphrase({ onDeviceAvailable, signal });
  } catch (cause) {
    throw new TrezorError('PassphraseCancelled', 'The passphrase entry was cancelled', { cause: cause instanceof TrezorError ? cause : undefined });
  }
  const given = (typeof answer === 'object' && answer !== null ? answer : {}) as { passphrase?: unknown; onDevice?: unknown };
  if (given.onDevice === true) {
    if (!onDeviceAvailable) throw new TrezorError('NotSupported', 'This device cannot take the passphrase on its own screen');
    return { on_device: true };
  }
  if (typeof given.passphrase !== 'string' || new TextEncoder().encode(given.passphrase).length > MAX_PASSPHRASE_BYTES) {
    throw new TrezorError('InvalidParameters', `Passphrase must be a string of at most ${MAX_PASSPHRASE_BYTES} UTF-8 bytes`, { field: 'passphrase' });
  }
  return { passphrase: given.passphrase };
}
