/**
 * Firmware images and their installation through the bootloader.
 *
 * readFirmware parses an image as the public firmware-format documents of trezor-firmware lay
 * it out (docs/legacy/firmware-format.md, docs/core/misc/boot.md; all integers little endian):
 *
 *   Trezor One   [TRZR legacy header, 256 B]? [TRZF v2 header, 1024 B] [code]
 *                version at TRZF+0x10; fingerprint = SHA-256 of the TRZF header with sig1-3
 *                (0x220..0x2E0) and sigindex1-3 (0x2E0..0x2E3) zeroed
 *   Core         [TRZV vendor header, hdrlen B] [TRZF firmware header, 1024 B] [code]
 *                vendor string after the vendor's public keys; version at TRZF+0x10;
 *                fingerprint = BLAKE2s of the TRZF header with sigmask (0x3BF) and sig
 *                (0x3C0..0x400) zeroed
 *
 * The fingerprint is what the bootloader shows before it installs, so the user can compare.
 * Signatures are checked by the bootloader, not here: an unofficial image is the device's to
 * refuse (or to warn about).
 *
 * updateFirmware runs each bootloader's exchange (trezorlib firmware.update): FirmwareErase, then
 * on a Trezor One one FirmwareUpload with the whole image, on Core models a FirmwareUpload for
 * each FirmwareRequest (offset, length) with the chunk's BLAKE2s hash. The official emulators have
 * no bootloader: this exchange is proven against the virtual device and the public protocol only.
 */
import { blake2s } from '@noble/hashes/blake2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { TrezorError, invalidParameter } from '../errors.js';
import { expectType, invokeCallback, type Trezor } from '../session/trezor.js';
import { abool, aparams, asignal, isTrezorOne } from './params.js';

export interface FirmwareInfo {
  /** 'T1B1' for a Trezor One image, 'T2T1' for a Core image (vendor header). */
  model: 'T1B1' | 'T2T1';
  /** [major, minor, patch] */
  version: [number, number, number];
  build: number;
  /** Vendor string of a Core image's vendor header ('SatoshiLabs' for official firmware). */
  vendor?: string;
  /** Hex fingerprint the bootloader shows. */
  fingerprint: string;
  /** Bytes of code after the headers. */
  codeLength: number;
}

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const HEADER = 1024;

function bad(problem: string): TrezorError<'InvalidParameters'> {
  return invalidParameter('bytes', problem);
}

function firmwareHeader(bytes: Uint8Array, at: number): { view: DataView; codeLength: number; version: [number, number, number]; build: number } {
  if (bytes.length < at + HEADER || ascii(bytes, at) !== 'TRZF') throw bad(`no firmware header (TRZF) at offset ${at}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, HEADER);
  if (view.getUint32(4, true) !== HEADER) throw bad('firmware header length is not 1024');
  const codeLength = view.getUint32(12, true);
  if (bytes.length !== at + HEADER + codeLength) throw bad(`image is ${bytes.length} bytes, its header declares ${at + HEADER + codeLength}`);
  return { view, codeLength, version: [view.getUint8(16), view.getUint8(17), view.getUint8(18)], build: view.getUint8(19) };
}

/**
 * Read a firmware image's header: model, version, vendor and the fingerprint the bootloader shows.
 * @example
 * const info = readFirmware(bytes);
 * console.log(info.model, info.version.join('.'), info.fingerprint);
 */
export function readFirmware(bytes: Uint8Array): FirmwareInfo {
  if (!(bytes instanceof Uint8Array)) throw bad('expected a Uint8Array');
  if (bytes.length >= 4 && ascii(bytes, 0) === 'TRZV') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const vendorLength = view.getUint32(4, true);
    const keys = view.getUint8(0x0f);
    const textAt = 0x20 + 32 * keys;
    if (vendorLength % 512 !== 0 || vendorLength < textAt + 1 || bytes.length < vendorLength) throw bad('malformed vendor header');
    const vendor = new TextDecoder().decode(bytes.subarray(textAt + 1, textAt + 1 + view.getUint8(textAt)));
    const fw = firmwareHeader(bytes, vendorLength);
    const header = bytes.slice(vendorLength, vendorLength + HEADER);
    header.fill(0, 0x3bf, HEADER);
    return { model: 'T2T1', version: fw.version, build: fw.build, vendor, fingerprint: hex(blake2s(header)), codeLength: fw.codeLength };
  }
  let at = 0;
  if (bytes.length >= 4 && ascii(bytes, 0) === 'TRZR') {
    if (bytes.length < 256 + 4 || ascii(bytes, 256) !== 'TRZF') throw bad('Trezor One firmware older than 1.8.0 (no TRZF header) is not supported');
    at = 256;
  }
  const fw = firmwareHeader(bytes, at);
  const header = bytes.slice(at, at + HEADER);
  header.fill(0, 0x220, 0x2e3);
  return { model: 'T1B1', version: fw.version, build: fw.build, fingerprint: hex(sha256(header)), codeLength: fw.codeLength };
}

export interface UpdateFirmwareProgress {
  /** Bytes the device has taken so far, and the image's size. */
  sent: number;
  total: number;
}

export interface UpdateFirmwareParameters {
  /** Called after each chunk the device has taken. */
  onProgress?: (progress: UpdateFirmwareProgress) => void;
  /** Install an older version than the device's bootloader reports, or a same-version image. */
  allowDowngrade?: boolean;
  signal?: AbortSignal;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/**
 * Install a firmware image on a device in bootloader mode (Features.bootloader_mode). The image
 * must be for the device's model and, unless `allowDowngrade`, newer than what it runs. The
 * device restarts afterwards: connect again.
 * @example await updateFirmware(trezor, bytes, { onProgress: ({ sent, total }) => bar(sent / total) })
 */
export async function updateFirmware(trezor: Trezor, bytes: Uint8Array, params?: UpdateFirmwareParameters): Promise<void> {
  const info = readFirmware(bytes);
  const p = aparams<UpdateFirmwareParameters>(params);
  if (p.onProgress !== undefined && typeof p.onProgress !== 'function') throw invalidParameter('onProgress', 'expected a function');
  const allowDowngrade = abool('allowDowngrade', p.allowDowngrade) ?? false;
  const signal = asignal(p.signal);
  const f = trezor.features;
  if (!f.bootloader_mode) throw new TrezorError('NotSupported', 'The device is not in bootloader mode: restart it into the bootloader first');
  const deviceModel = isTrezorOne(f) ? 'T1B1' : 'T2T1';
  if (info.model !== deviceModel) throw invalidParameter('bytes', `a ${info.model} image cannot be installed on a ${deviceModel}`);
  // In bootloader mode Features carry the installed firmware's version as fw_major/minor/patch.
  const installed = f.firmware_present && f.fw_major !== undefined ? [f.fw_major, f.fw_minor ?? 0, f.fw_patch ?? 0] : undefined;
  if (installed && !allowDowngrade && compare(info.version, installed) <= 0) {
    throw invalidParameter('bytes', `version ${info.version.join('.')} is not newer than the installed ${installed.join('.')} (allowDowngrade to install it)`);
  }
  const total = bytes.length;
  await trezor.exclusive(async (call) => {
    let reply = await call('FirmwareErase', { length: total }, { signal });
    if (reply.type === 'Success') {
      // Trezor One: the whole image in one message.
      expectType(await call('FirmwareUpload', { payload: bytes }, { signal }), 'Success');
      invokeCallback(p.onProgress, { sent: total, total });
      return;
    }
    let sent = 0;
    while (reply.type === 'FirmwareRequest') {
      const { offset, length } = reply.message;
      if (offset + length > total) throw new TrezorError('ProtocolError', `The bootloader asked for bytes ${offset}..${offset + length} of a ${total}-byte image`);
      const payload = bytes.subarray(offset, offset + length);
      reply = await call('FirmwareUpload', { payload, hash: blake2s(payload) }, { signal });
      sent += length;
      invokeCallback(p.onProgress, { sent, total });
    }
    expectType(reply, 'Success');
  });
}
