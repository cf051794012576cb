/**
 * The Trezor models, keyed by the firmware's internal name (`Features.internal_model`): what each
 * one is called, how it shows up on USB, and what the host has to do for its PIN and passphrase.
 *
 * Why a table: the One and the Core models (Model T, Safe 3, Safe 5, Safe 7) differ in ways the
 * host must know before it asks — the One shows a scrambled matrix and wants the PIN as keypad
 * positions, Core models take the PIN on their own screen; the Safe 7 speaks only the encrypted
 * Trezor Host Protocol (THP). Firmware version gates differ per family too (a feature arrives in
 * one 1.x release and one 2.x release). Everything here is read from Features, never guessed from
 * `major_version`.
 *
 * Sources (public): trezor-firmware `core/embed/models/<MODEL>/model_<MODEL>.h` (MODEL_NAME,
 * MODEL_FULL_NAME; T3W1 from core/v2.12.4), `core/embed/models/T3W1/model.toml` (feature "thp"),
 * `python/src/trezorlib/models.py` (names, USB ids, `detect()` fallback), `legacy/firmware/usb.c`
 * and `legacy/bootloader/usb_desc.h` (Trezor One USB ids), `core/src/usb.py` and
 * `core/embed/projects/bootloader/main.c` (Core USB ids), `core/src/apps/base.py`
 * (Capability_PassphraseEntry on every Core model), and trezor-suite
 * `packages/transport/src/constants.ts` (the same three USB ids).
 *
 * Old firmware without `internal_model`: Core sends it from 2.6.3 on (core/src/apps/base.py), the
 * Trezor One never did up to 1.14.1 (legacy/firmware/fsm_msg_common.h). Only then is
 * `Features.model` read, as trezorlib's `models.detect()` does: '1' is the One, 'T' the Model T,
 * 'R' the Safe 3 under its pre-2.6.3 name; a missing `model` means a very old Trezor One.
 */

import { enumValue } from './messages/codec.js';

/** The internal model names this library knows (Features.internal_model). */
export type InternalModel = 'T1B1' | 'T2T1' | 'T2B1' | 'T3B1' | 'T3T1' | 'T3W1';

/** 1: the Trezor One (legacy firmware 1.x). 2: every Core model (firmware 2.x). */
export type ModelFamily = 1 | 2;

/** One USB vendor / product id pair. */
export interface UsbId {
  readonly vendorId: number;
  readonly productId: number;
}

/** What the library knows about one Trezor model. */
export interface TrezorModel {
  readonly internalModel: InternalModel;
  /** The product name, e.g. 'Trezor Safe 5'. */
  readonly name: string;
  /** What its firmware puts in Features.model ('1', 'T', 'Safe 3', …). */
  readonly featuresModel: string;
  readonly family: ModelFamily;
  /** USB ids of its firmware and of its bootloader (older ids first where they changed). */
  readonly usb: { readonly firmware: readonly UsbId[]; readonly bootloader: readonly UsbId[] };
  /**
   * Who enters the PIN: 'host-matrix' — the host asks the user and sends keypad positions of the
   * scrambled matrix the device shows (PinMatrixRequest); 'device' — typed on the device.
   */
  readonly pin: 'host-matrix' | 'device';
  /**
   * Where the passphrase can be typed: on the host only, or on the host or the device
   * (Capability_PassphraseEntry; the device then asks with ButtonRequest_PassphraseEntry).
   */
  readonly passphrase: 'host' | 'host-or-device';
  /** How its screen is driven: buttons (One, Safe 3) or a touch screen. */
  readonly input: 'buttons' | 'touch';
  /** Its normal firmware speaks only THP (not the v1 framing); its bootloader speaks v1. */
  readonly thpOnly: boolean;
}

/** Firmware of every model (the One from 1.7.0): WebUSB, vendor class, pid.codes vendor id. */
export const USB_ID_FIRMWARE: UsbId = { vendorId: 0x1209, productId: 0x53c1 };
/** Bootloader of every model (the One from bootloader 1.6.0). */
export const USB_ID_BOOTLOADER: UsbId = { vendorId: 0x1209, productId: 0x53c0 };
/** Trezor One firmware before 1.7.0 and its bootloaders before 1.6.0: HID, SatoshiLabs vendor id. */
export const USB_ID_ONE_HID: UsbId = { vendorId: 0x534c, productId: 0x0001 };
const CORE_USB = { firmware: [USB_ID_FIRMWARE], bootloader: [USB_ID_BOOTLOADER] };

function core(internalModel: InternalModel, featuresModel: string, input: 'buttons' | 'touch', thpOnly = false): TrezorModel {
  return { internalModel, name: `Trezor ${featuresModel === 'T' ? 'Model T' : featuresModel}`, featuresModel, family: 2, usb: CORE_USB, pin: 'device', passphrase: 'host-or-device', input, thpOnly };
}

/**
 * Every model, by internal name.
 * @example MODELS.T3T1.name // 'Trezor Safe 5'
 */
export const MODELS: Readonly<Record<InternalModel, TrezorModel>> = /* @__PURE__ */ Object.freeze({
  T1B1: {
    internalModel: 'T1B1',
    name: 'Trezor Model One',
    featuresModel: '1',
    family: 1,
    usb: { firmware: [USB_ID_ONE_HID, USB_ID_FIRMWARE], bootloader: [USB_ID_ONE_HID, USB_ID_BOOTLOADER] },
    pin: 'host-matrix',
    passphrase: 'host',
    input: 'buttons',
    thpOnly: false,
  },
  T2T1: /* @__PURE__ */ core('T2T1', 'T', 'touch'),
  T2B1: /* @__PURE__ */ core('T2B1', 'Safe 3', 'buttons'),
  T3B1: /* @__PURE__ */ core('T3B1', 'Safe 3', 'buttons'),
  T3T1: /* @__PURE__ */ core('T3T1', 'Safe 5', 'touch'),
  T3W1: /* @__PURE__ */ core('T3W1', 'Safe 7', 'touch', true),
});

/** The Features fields model detection reads. */
export type ModelFeatures = { readonly internal_model?: string | undefined; readonly model?: string | undefined };

/** Features.model of firmware that predates internal_model (see the module header). */
const BY_OLD_MODEL: Record<string, InternalModel> = { '1': 'T1B1', T: 'T2T1', R: 'T2B1' };

/**
 * The model of the device that sent these Features, or undefined for a model this library does
 * not know (a newer Trezor, or a fork). `internal_model` decides whenever it is there.
 * @example modelOf(trezor.features)?.name // 'Trezor Safe 5'
 */
export function modelOf(features: ModelFeatures | undefined): TrezorModel | undefined {
  if (!features) return undefined;
  const internal = features.internal_model;
  if (internal !== undefined) return Object.hasOwn(MODELS, internal) ? MODELS[internal as InternalModel] : undefined;
  const legacy = features.model === undefined ? 'T1B1' : BY_OLD_MODEL[features.model];
  return legacy && MODELS[legacy];
}

/**
 * The firmware family: 1 for the Trezor One, 2 for every other model — also one this library
 * does not know yet, since every Trezor after the One runs Core firmware.
 * @example modelFamily(trezor.features) === 1 // a Trezor One
 */
export function modelFamily(features: ModelFeatures | undefined): ModelFamily {
  return modelOf(features)?.family ?? 2;
}

/**
 * Whether Features list a capability, given by its proto name; also matched by its wire number
 * (Features built by hand, or decoded by another decoder).
 * @example hasCapability(trezor.features, 'Capability_PassphraseEntry') // true on Core models
 */
export function hasCapability(features: { readonly capabilities?: readonly (string | number)[] | undefined } | undefined, name: string): boolean {
  const caps = features?.capabilities ?? [];
  const value = enumValue('Capability', name);
  return caps.includes(name) || (value !== undefined && caps.includes(value));
}

/**
 * Whether the device can take the passphrase on its own screen (Capability_PassphraseEntry).
 * @example const answer = canEnterPassphraseOnDevice(trezor.features) ? { onDevice: true } : { passphrase }
 */
export function canEnterPassphraseOnDevice(features: Parameters<typeof hasCapability>[0]): boolean {
  return hasCapability(features, 'Capability_PassphraseEntry');
}
