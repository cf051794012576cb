/**
 * Firmware images and their installation. The images here are built byte by byte from the
 * layouts of trezor-firmware's public docs (docs/legacy/firmware-format.md, docs/core/misc/boot.md),
 * and the fingerprints recomputed from those documents' definitions; the upload runs against the
 * virtual device's bootloader (the official emulators have none).
 */
import { blake2s } from '@noble/hashes/blake2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';
import { readFirmware, updateFirmware } from '../src/management/index.js';
import { VirtualTrezor } from '../src/testing/index.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const magic = (s: string) => new TextEncoder().encode(s);

/** TRZF header (1024 B) for `codeLength` bytes of code; `fill` marks the signature area so zeroing is visible. */
function firmwareHeader(version: [number, number, number, number], codeLength: number, fill: 'legacy' | 'core'): Uint8Array {
  const h = new Uint8Array(1024);
  const v = new DataView(h.buffer);
  h.set(magic('TRZF'), 0);
  v.setUint32(4, 1024, true);
  v.setUint32(12, codeLength, true);
  h.set(version, 0x10);
  h.fill(0xab, 0x20, 0x40); // hash1
  if (fill === 'legacy') h.fill(0x5a, 0x220, 0x2e3); // sig1-3, sigindex1-3
  else h.fill(0x5a, 0x3bf, 0x400); // sigmask, sig
  return h;
}

function legacyImage(version: [number, number, number, number], codeLength = 4000): Uint8Array {
  const legacy = new Uint8Array(256);
  legacy.set(magic('TRZR'), 0);
  new DataView(legacy.buffer).setUint32(4, 1024 + codeLength, true);
  const code = new Uint8Array(codeLength).map((_, i) => i * 7);
  return new Uint8Array([...legacy, ...firmwareHeader(version, codeLength, 'legacy'), ...code]);
}

function coreImage(version: [number, number, number, number], codeLength = 300_000, vendor = 'SatoshiLabs'): Uint8Array {
  const vh = new Uint8Array(512);
  const v = new DataView(vh.buffer);
  vh.set(magic('TRZV'), 0);
  v.setUint32(4, 512, true);
  vh[0x0e] = 2; // vsig_m
  vh[0x0f] = 3; // vsig_n: three 32-byte keys follow at 0x20
  vh.fill(0x11, 0x20, 0x20 + 96);
  vh[0x80] = vendor.length;
  vh.set(magic(vendor), 0x81);
  const code = new Uint8Array(codeLength).map((_, i) => i * 13);
  return new Uint8Array([...vh, ...firmwareHeader(version, codeLength, 'core'), ...code]);
}

describe('readFirmware', () => {
  it('Trezor One image (TRZR + TRZF): version, and the fingerprint = SHA-256 of the v2 header with its signatures zeroed', () => {
    const image = legacyImage([1, 15, 2, 0]);
    const header = image.slice(256, 1280);
    header.fill(0, 0x220, 0x2e3);
    const info = readFirmware(image);
    expect(info).toEqual({ model: 'T1B1', version: [1, 15, 2], build: 0, fingerprint: hex(sha256(header)), codeLength: 4000 });
    // A bare v2 image (no TRZR) reads the same.
    expect(readFirmware(image.subarray(256)).fingerprint).toBe(info.fingerprint);
  });

  it('signatures do not change the fingerprint, the version does', () => {
    const a = legacyImage([1, 15, 2, 0]);
    const b = a.slice();
    b[256 + 0x230] ^= 0xff;
    expect(readFirmware(b).fingerprint).toBe(readFirmware(a).fingerprint);
    expect(readFirmware(legacyImage([1, 15, 3, 0])).fingerprint).not.toBe(readFirmware(a).fingerprint);
  });

  it('Core image (TRZV + TRZF): vendor string, version, fingerprint = BLAKE2s of the header with sigmask and sig zeroed', () => {
    const image = coreImage([2, 8, 9, 1]);
    const header = image.slice(512, 1536);
    header.fill(0, 0x3bf, 0x400);
    expect(readFirmware(image)).toEqual({
      model: 'T2T1',
      version: [2, 8, 9],
      build: 1,
      vendor: 'SatoshiLabs',
      fingerprint: hex(blake2s(header)),
      codeLength: 300_000,
    });
  });

  it('refuses what is not a whole image: InvalidParameters naming bytes', () => {
    const cases = [
      new Uint8Array(10),
      legacyImage([1, 15, 2, 0]).subarray(0, 3000), // truncated
      new Uint8Array([...legacyImage([1, 15, 2, 0]), 0]), // trailing byte
      magic('TRZR').slice(), // pre-1.8 layout, no TRZF
      'not bytes' as never,
    ];
    for (const bytes of cases) {
      let error: any;
      try {
        readFirmware(bytes);
      } catch (e) {
        error = e;
      }
      expect(error?.code).toBe('InvalidParameters');
      expect(error?.field).toBe('bytes');
    }
  });
});

describe('updateFirmware on the virtual bootloader', () => {
  async function bootloader(model: 'T1B1' | 'T2T1') {
    const virtual = new VirtualTrezor({ model, bootloader: true });
    const transport = virtual.transport();
    const trezor = await connect({ transport });
    return { virtual, transport, trezor };
  }

  it('Trezor One: FirmwareErase, one FirmwareUpload; the device then runs the new version', async () => {
    const { virtual, transport, trezor } = await bootloader('T1B1');
    expect(trezor.features.bootloader_mode).toBe(true);
    expect([trezor.features.fw_major, trezor.features.fw_minor, trezor.features.fw_patch]).toEqual([1, 14, 1]);
    const progress: number[] = [];
    const image = legacyImage([1, 15, 2, 0]);
    await updateFirmware(trezor, image, { onProgress: ({ sent, total }) => (expect(total).toBe(image.length), progress.push(sent)) });
    expect(progress).toEqual([image.length]);
    await trezor.close();
    const after = await connect({ transport, sessionId: null });
    expect(after.features.bootloader_mode).toBeFalsy();
    expect([after.features.major_version, after.features.minor_version, after.features.patch_version]).toEqual([1, 15, 2]);
    await after.close();
    await virtual.close();
  });

  it('Core: chunks as the bootloader asks (headers, then up to each 128 KiB), each with its hash', async () => {
    const { virtual, transport, trezor } = await bootloader('T2T1');
    const image = coreImage([2, 8, 9, 0]);
    const progress: number[] = [];
    await updateFirmware(trezor, image, { onProgress: ({ sent }) => progress.push(sent) });
    expect(progress).toEqual([16_384, 131_072, 262_144, image.length]);
    await trezor.close();
    const after = await connect({ transport, sessionId: null });
    expect([after.features.major_version, after.features.minor_version, after.features.patch_version]).toEqual([2, 8, 9]);
    await after.close();
    await virtual.close();
  });

  it('refuses before sending: a wrong-model image, a downgrade unless allowed, a device not in bootloader mode', async () => {
    const { virtual, trezor } = await bootloader('T2T1');
    const wrong = await updateFirmware(trezor, legacyImage([1, 15, 2, 0])).catch((e) => e);
    expect([wrong.code, wrong.field]).toEqual(['InvalidParameters', 'bytes']);
    const older = await updateFirmware(trezor, coreImage([2, 4, 1, 0])).catch((e) => e);
    expect([older.code, older.field]).toEqual(['InvalidParameters', 'bytes']);
    expect(trezor.features.bootloader_mode).toBe(true); // nothing was erased: Features unchanged
    await updateFirmware(trezor, coreImage([2, 3, 0, 0], 2000), { allowDowngrade: true });
    await trezor.close();
    await virtual.close();

    const running = new VirtualTrezor({ model: 'T2T1' });
    const t = await connect({ transport: running.transport() });
    expect((await updateFirmware(t, coreImage([2, 8, 9, 0])).catch((e) => e)).code).toBe('NotSupported');
    await t.close();
    await running.close();
  });
});
