/**
 * The virtual device's bootloader mode (`new VirtualTrezor({ bootloader: true })`; the recorded
 * firmware, 1.14.1 and 2.4.1, have no RebootToBootloader): Features with bootloader_mode, and firmware installation
 * as the bootloaders run it — Trezor One: FirmwareErase → Success, one FirmwareUpload with the
 * whole image → Success; Core: FirmwareErase → FirmwareRequest for the headers (16 KiB), then up
 * to each 128 KiB boundary, each FirmwareUpload checked against its BLAKE2s hash. The official
 * emulators have no bootloader, so this follows the public protocol (trezorlib firmware.update,
 * core/embed/bootloader) rather than a recording; the install confirmation the real bootloaders
 * show on screen is taken as given. After the upload the device "restarts" into the new version
 * with its seed kept.
 */
import { blake2s } from '@noble/hashes/blake2.js';
import { isTrezorError } from '../../../errors.js';
import { readFirmware } from '../../../management/firmware.js';
import { decodeAs, type MessageMap } from '../../../messages/index.js';
import { fail, type Model, type Reply } from '../context.js';
import type { CoreContext, CoreHandlerTable } from '../device.js';
import { success } from './shared.js';

/** Bootloader versions the virtual device reports: plausible for each model, not recorded. */
const BOOTLOADER_VERSION: Record<Model, readonly [number, number, number]> = {
  T1B1: [1, 12, 1],
  T2T1: [2, 1, 1],
  T2B1: [2, 1, 8],
  T3T1: [2, 1, 8],
  T3W1: [2, 1, 8], // not recorded: the Safe 5's
};
const INIT_CHUNK = 16 * 1024;
const CHUNK = 128 * 1024;

function bootloaderFeatures(ctx: CoreContext): Reply {
  const device = ctx.device;
  const [major, minor, patch] = BOOTLOADER_VERSION[ctx.model];
  const [fwMajor, fwMinor, fwPatch] = device.profile.version;
  const message: MessageMap['Features'] = {
    vendor: 'trezor.io',
    major_version: major,
    minor_version: minor,
    patch_version: patch,
    bootloader_mode: true,
    firmware_present: device.firmwarePresent,
    model: device.profile.marketingModel,
    internal_model: ctx.model,
  };
  if (device.firmwarePresent) Object.assign(message, { fw_major: fwMajor, fw_minor: fwMinor, fw_patch: fwPatch });
  return { type: 'Features', message };
}

/** Check the whole image and boot into it. */
function install(ctx: CoreContext, image: Uint8Array): Reply {
  let info;
  try {
    info = readFirmware(image);
  } catch (e) {
    if (!isTrezorError(e)) throw e;
    fail('Failure_ProcessError', 'Invalid firmware header');
  }
  if (info.model !== ctx.model) fail('Failure_ProcessError', 'Wrong firmware model');
  ctx.device.installFirmware(info.version);
  return success(ctx.model === 'T1B1' ? 'Upload complete' : 'Firmware installed');
}

async function firmwareErase(ctx: CoreContext, request: MessageMap['FirmwareErase']): Promise<Reply> {
  const device = ctx.device;
  device.firmwarePresent = false;
  if (ctx.model === 'T1B1') return success('Firmware erased');
  const total = request.length ?? 0;
  if (total <= 0) fail('Failure_ProcessError', 'Firmware length is zero');
  const image = new Uint8Array(total);
  let offset = 0;
  while (offset < total) {
    // The headers first, then up to each 128 KiB boundary.
    const length = Math.min(offset === 0 ? INIT_CHUNK : CHUNK - (offset % CHUNK), total - offset);
    const answer = await ctx.ask('FirmwareRequest', { offset, length }, ['FirmwareUpload']);
    const { payload, hash } = decodeAs('FirmwareUpload', answer.payload);
    if (payload.length !== length) fail('Failure_ProcessError', 'Invalid chunk size');
    const digest = blake2s(payload);
    if (!hash || hash.length !== digest.length || hash.some((b, i) => b !== digest[i])) fail('Failure_ProcessError', 'Invalid chunk hash');
    image.set(payload, offset);
    offset += length;
  }
  return install(ctx, image);
}

async function firmwareUpload(ctx: CoreContext, request: MessageMap['FirmwareUpload']): Promise<Reply> {
  // Trezor One: the whole image after FirmwareErase. (Core uploads arrive inside firmwareErase.)
  if (ctx.model !== 'T1B1' || ctx.device.firmwarePresent) fail('Failure_UnexpectedMessage', 'Unexpected message');
  return install(ctx, request.payload);
}

async function unexpected(): Promise<Reply> {
  fail('Failure_UnexpectedMessage', 'Unexpected message');
}

/** What the device answers while in bootloader mode; everything else is an unexpected message. */
export const bootloaderHandlers: CoreHandlerTable = {
  Initialize: async (ctx) => bootloaderFeatures(ctx),
  GetFeatures: async (ctx) => bootloaderFeatures(ctx),
  Ping: async (_ctx, request) => success(request.message ?? ''),
  FirmwareErase: firmwareErase,
  FirmwareUpload: firmwareUpload,
  Cancel: unexpected,
};
