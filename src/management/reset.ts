/**
 * Wallet creation and its backup: ResetDevice (with the EntropyRequest / EntropyAck exchange)
 * and BackupDevice, as trezorlib's device.reset / device.backup run them.
 *
 * The device makes the seed from its own random bytes and 32 bytes the host adds (EntropyAck),
 * so neither side alone decides it; the words are shown only on the device's screen and never
 * cross the wire. A new PIN is asked through `ui.pin` (types newFirst and newSecond) on a
 * Trezor One and on the screen of the Core models; the write-down and check screens arrive as
 * ButtonRequests (`ui.button`). Refusals keep the codes of the session layer: a device that
 * already has a seed answers UnexpectedMessage, a user who declines ActionCancelled.
 */
import { TrezorError } from '../errors.js';
import { cancelOnHostError, expectType, type Features, type Trezor } from '../session/trezor.js';
import { abool, alabel, aoneOf, aparams, asignal } from './params.js';

/** When the words are written down: during setup, later (backupDevice), or never (no backup at all). */
export type BackupWhen = 'now' | 'later' | 'none';

export interface ResetDeviceParameters {
  /** Seed entropy in bits: 128 (12 words), 192 (18) or 256 (24, the default). */
  strength?: 128 | 192 | 256;
  /** Device name, at most 32 bytes of UTF-8. */
  label?: string;
  /** Ask for a new PIN during setup. */
  pin?: boolean;
  /** Turn passphrase protection on. */
  passphraseProtection?: boolean;
  /** Default 'now'. 'none' creates a seed that can never be backed up. */
  backup?: BackupWhen;
  signal?: AbortSignal;
}

const STRENGTHS = [128, 192, 256] as const;
const BACKUP_WHEN: readonly BackupWhen[] = ['now', 'later', 'none'];

/** 32 bytes of host randomness for EntropyAck (trezorlib: os.urandom(32)). */
function hostEntropy(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}

/**
 * Create a new wallet on a blank device and return its fresh Features.
 * @example
 * const features = await resetDevice(trezor, { strength: 128, label: 'Savings', pin: true });
 * features.initialized // true
 */
export async function resetDevice(trezor: Trezor, params?: ResetDeviceParameters): Promise<Readonly<Features>> {
  const p = aparams<ResetDeviceParameters>(params);
  const strength = aoneOf('strength', p.strength, STRENGTHS) ?? 256;
  const label = alabel('label', p.label);
  const pin = abool('pin', p.pin) ?? false;
  const passphraseProtection = abool('passphraseProtection', p.passphraseProtection) ?? false;
  const backup = aoneOf('backup', p.backup, BACKUP_WHEN) ?? 'now';
  const signal = asignal(p.signal);
  await trezor.exclusive((call) =>
    cancelOnHostError(call, async (call) => {
      let reply = await call(
        'ResetDevice',
        {
          strength,
          passphrase_protection: passphraseProtection,
          pin_protection: pin,
          ...(label !== undefined ? { label } : {}),
          skip_backup: backup === 'later',
          no_backup: backup === 'none',
        },
        { signal },
      );
      while (reply.type === 'EntropyRequest') {
        // Aborted while the device waits for our entropy: cancel it here (the call below would
        // refuse before sending and leave the device waiting).
        if (signal?.aborted) throw new TrezorError('ActionCancelled', 'The call was aborted', { cause: signal.reason });
        reply = await call('EntropyAck', { entropy: hostEntropy() }, { signal });
      }
      expectType(reply, 'Success');
    }),
  );
  // A new seed starts a new session (trezorlib: client.init_device()).
  return trezor.initialize(undefined, { signal });
}

export interface BackupDeviceParameters {
  signal?: AbortSignal;
}

/**
 * Show the words of a seed created with `backup: 'later'` (Features.backup_availability
 * 'Required', the firmware's needs_backup) so the user
 * writes them down. A seed that is backed up already, or was created with `backup: 'none'`,
 * is refused by the device (FirmwareError).
 * @example if (trezor.features.backup_availability === 'Required') await backupDevice(trezor);
 */
export async function backupDevice(trezor: Trezor, params?: BackupDeviceParameters): Promise<void> {
  const p = aparams<BackupDeviceParameters>(params);
  const signal = asignal(p.signal);
  await trezor.typedCall('BackupDevice', {}, 'Success', { signal });
  await trezor.getFeatures({ signal });
}
