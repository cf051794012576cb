/**
 * trezor-direct/management: take a Trezor out of the box and look after it — create a wallet,
 * back it up, recover it, set the PIN, change settings, wipe. A separate entry, so the core
 * bundle (`trezor-direct`) does not carry it.
 *
 * Every function checks its arguments before anything is sent (InvalidParameters naming the
 * field) and keeps the error codes of the session layer for what the device refuses. PINs and
 * words travel only through the `ui` handlers of connect() and never appear in an error.
 *
 * @example
 * import { connect, webUsb } from 'trezor-direct';
 * import { resetDevice } from 'trezor-direct/management';
 * const trezor = await connect({ transport: webUsb(), ui: { pin, word, button } });
 * await resetDevice(trezor, { strength: 128, label: 'Savings', pin: true });
 */
export { resetDevice, backupDevice, type ResetDeviceParameters, type BackupDeviceParameters, type BackupWhen } from './reset.js';
export { recoverDevice, type RecoverDeviceParameters, type RecoveryInputMethod, type DryRunResult } from './recover.js';
export {
  changePin,
  applySettings,
  wipeDevice,
  type ChangePinParameters,
  type ApplySettingsParameters,
  type WipeDeviceParameters,
} from './settings.js';
export {
  readFirmware,
  updateFirmware,
  type FirmwareInfo,
  type UpdateFirmwareParameters,
  type UpdateFirmwareProgress,
} from './firmware.js';
