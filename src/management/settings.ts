/**
 * PIN, settings and wipe: ChangePin, ApplySettings and WipeDevice, one confirmation screen (or
 * a few) each. The new PIN goes through `ui.pin` on a Trezor One (types current, newFirst,
 * newSecond) and is typed on the screen of the Core models; it passes through the session only
 * on its way into PinMatrixAck. Each function refreshes `trezor.features` before it returns.
 */
import { invalidParameter } from '../errors.js';
import type { SafetyCheckLevel } from '../messages/index.js';
import type { Features, Trezor } from '../session/trezor.js';
import { abool, alabel, aoneOf, aparams, asignal } from './params.js';

export interface ChangePinParameters {
  /** Remove the PIN instead of setting or changing it. */
  remove?: boolean;
  signal?: AbortSignal;
}

/**
 * Set, change (`{}`) or remove (`{ remove: true }`) the PIN. A wrong current PIN is PinInvalid,
 * two new PINs that differ FirmwareError (the Trezor One's PinMismatch; the Model T asks again).
 * @example await changePin(trezor) // the device asks for the current PIN, then the new one twice
 */
export async function changePin(trezor: Trezor, params?: ChangePinParameters): Promise<void> {
  const p = aparams<ChangePinParameters>(params);
  const remove = abool('remove', p.remove) ?? false;
  const signal = asignal(p.signal);
  await trezor.typedCall('ChangePin', remove ? { remove: true } : {}, 'Success', { signal });
  await trezor.getFeatures({ signal });
}

export interface ApplySettingsParameters {
  /** Device name, at most 32 bytes of UTF-8 ('' clears it). */
  label?: string;
  /** Passphrase protection on or off. */
  passphraseProtection?: boolean;
  /** Lock the device after this much idle time: 10 s to about 6.2 days (firmware limits). */
  autoLockDelayMs?: number;
  /** Core models: always take the passphrase on the device's screen. */
  passphraseAlwaysOnDevice?: boolean;
  /** Firmware safety checks (SafetyCheckLevel): 'Strict' (default), 'PromptAlways', 'PromptTemporarily'. */
  safetyChecks?: SafetyCheckLevel;
  /** Core models: screen rotation in degrees. */
  displayRotation?: 0 | 90 | 180 | 270;
  signal?: AbortSignal;
}

/** Auto-lock bounds of the firmware (legacy config.c MIN_AUTOLOCK_DELAY_MS / MAX_AUTOLOCK_DELAY_MS; core apply_settings). */
const AUTOLOCK_MIN_MS = 10_000;
const AUTOLOCK_MAX_MS = 0x1fff_ffff;
const SAFETY_CHECKS: readonly SafetyCheckLevel[] = ['Strict', 'PromptAlways', 'PromptTemporarily'];
const ROTATIONS = [0, 90, 180, 270] as const;

/**
 * Change one or more settings (the device confirms each) and return the refreshed Features.
 * @example const features = await applySettings(trezor, { label: 'Savings', autoLockDelayMs: 300_000 })
 */
export async function applySettings(trezor: Trezor, params: ApplySettingsParameters): Promise<Readonly<Features>> {
  const p = aparams<ApplySettingsParameters>(params, true);
  const label = alabel('label', p.label);
  const passphraseProtection = abool('passphraseProtection', p.passphraseProtection);
  const alwaysOnDevice = abool('passphraseAlwaysOnDevice', p.passphraseAlwaysOnDevice);
  const safetyChecks = aoneOf('safetyChecks', p.safetyChecks, SAFETY_CHECKS);
  const rotation = aoneOf('displayRotation', p.displayRotation, ROTATIONS);
  const delay = p.autoLockDelayMs;
  if (delay !== undefined && !(Number.isInteger(delay) && delay >= AUTOLOCK_MIN_MS && delay <= AUTOLOCK_MAX_MS)) {
    throw invalidParameter('autoLockDelayMs', `expected whole milliseconds from ${AUTOLOCK_MIN_MS} to ${AUTOLOCK_MAX_MS}`);
  }
  const signal = asignal(p.signal);
  const message = {
    ...(label !== undefined ? { label } : {}),
    ...(passphraseProtection !== undefined ? { use_passphrase: passphraseProtection } : {}),
    ...(delay !== undefined ? { auto_lock_delay_ms: delay } : {}),
    ...(alwaysOnDevice !== undefined ? { passphrase_always_on_device: alwaysOnDevice } : {}),
    ...(safetyChecks !== undefined ? { safety_checks: safetyChecks } : {}),
    ...(rotation !== undefined ? { display_rotation: rotation } : {}),
  };
  if (Object.keys(message).length === 0) throw invalidParameter('params', 'no setting given');
  await trezor.typedCall('ApplySettings', message, 'Success', { signal });
  return trezor.getFeatures({ signal });
}

export interface WipeDeviceParameters {
  signal?: AbortSignal;
}

/**
 * Erase the seed and every setting (the user confirms on the device). Afterwards
 * `trezor.features.initialized` is false.
 * @example await wipeDevice(trezor)
 */
export async function wipeDevice(trezor: Trezor, params?: WipeDeviceParameters): Promise<void> {
  const p = aparams<WipeDeviceParameters>(params);
  const signal = asignal(p.signal);
  await trezor.typedCall('WipeDevice', {}, 'Success', { signal });
  // The wipe ended every session: open a fresh one (trezorlib: client.init_device()).
  await trezor.initialize(undefined, { signal });
}
