/**
 * Firmware version gates shared by the coin modules. A feature arrives in one Trezor One
 * release (1.x) and in one Core release (2.x: Model T, Safe …), so every gate names both
 * versions; the one that applies follows the model family read from Features (models.ts:
 * `internal_model`, or `model` on firmware that predates it), never the major version alone.
 * Gates run on the Features of the connected device before anything is sent, so firmware that
 * lacks a feature gets NotSupported instead of a half-finished exchange.
 */
import { TrezorError } from '../errors.js';
import { modelFamily } from '../models.js';
import type { Features } from './trezor.js';

/** A firmware version: major, minor, patch. */
export type FirmwareVersion = readonly [number, number, number];

/** The fields of Features a gate reads: the version, and the model to tell the family. */
export type VersionFeatures = Pick<Features, 'major_version' | 'minor_version' | 'patch_version'> &
  Partial<Pick<Features, 'internal_model' | 'model'>>;

/**
 * Whether the firmware is at least `one` (Trezor One, family 1) or `core` (every other model,
 * family 2). Without Features or a major version (nothing connected yet) the answer is true: the
 * device then decides. Features without `internal_model` and `model` are a very old Trezor One.
 * @example firmwareAtLeast(trezor.features, [1, 10, 4], [2, 4, 2]) // EIP-1559
 */
export function firmwareAtLeast(features: VersionFeatures | undefined, one: FirmwareVersion, core: FirmwareVersion): boolean {
  if (features?.major_version === undefined) return true;
  const have = [features.major_version, features.minor_version, features.patch_version];
  const need = modelFamily(features) === 1 ? one : core;
  for (let i = 0; i < 3; i++) if (have[i] !== need[i]) return (have[i] ?? 0) > need[i]!;
  return true;
}

/**
 * NotSupported, naming `what` and the version this model needs, unless {@link firmwareAtLeast}.
 * @example requireFirmware(trezor.features, [1, 10, 5], [2, 4, 3], 'EIP-712 typed data')
 */
export function requireFirmware(features: VersionFeatures | undefined, one: FirmwareVersion, core: FirmwareVersion, what: string): void {
  if (firmwareAtLeast(features, one, core)) return;
  const have = `${features!.major_version}.${features!.minor_version}.${features!.patch_version}`;
  const need = (modelFamily(features) === 1 ? one : core).join('.');
  throw new TrezorError('NotSupported', `${what} need firmware ${need} or newer on this model; the device runs ${have}`);
}
