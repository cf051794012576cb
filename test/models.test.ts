/**
 * The model table (src/models.ts): detection from Features the way the firmware sends them,
 * the fallback for firmware older than `internal_model`, the family every version gate reads,
 * and the THP-only Safe 7 refused with NotSupported at connect. Expected names and USB ids are
 * the firmware's own (trezor-firmware core/embed/models/<MODEL>/model_<MODEL>.h MODEL_NAME,
 * core/src/usb.py, legacy/firmware/usb.c, python/src/trezorlib/models.py).
 */
import { describe, expect, it } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import * as core from '../src/index.js';
import { MODELS, canEnterPassphraseOnDevice, hasCapability, modelFamily, modelOf } from '../src/models.js';
import { connect } from '../src/session/connect.js';
import { firmwareAtLeast, requireFirmware } from '../src/session/firmware.js';
import { features, scriptedTransport } from './support/scripted-device.js';

describe('modelOf: internal_model decides', () => {
  // Features.model / internal_model pairs as core/v2.8.9 and core/v2.12.4 send them.
  const sent: [string, string, string][] = [
    ['T', 'T2T1', 'Trezor Model T'],
    ['Safe 3', 'T2B1', 'Trezor Safe 3'],
    ['Safe 3', 'T3B1', 'Trezor Safe 3'],
    ['Safe 5', 'T3T1', 'Trezor Safe 5'],
    ['Safe 7', 'T3W1', 'Trezor Safe 7'],
  ];
  for (const [model, internal, name] of sent) {
    it(`${internal} (model '${model}') is the ${name}, a Core model`, () => {
      const found = modelOf({ model, internal_model: internal });
      expect(found?.internalModel).toBe(internal);
      expect(found?.name).toBe(name);
      expect(found?.featuresModel).toBe(model);
      expect(found?.family).toBe(2);
      expect(found?.pin).toBe('device');
      expect(found?.passphrase).toBe('host-or-device');
    });
  }

  it('a model string never overrides internal_model', () => {
    expect(modelOf({ model: '1', internal_model: 'T3T1' })?.internalModel).toBe('T3T1');
    expect(modelFamily({ model: '1', internal_model: 'T3T1' })).toBe(2);
  });

  it('an internal name the table lacks is unknown, and of the Core family', () => {
    expect(modelOf({ model: 'X', internal_model: 'T3T2' })).toBeUndefined();
    expect(modelFamily({ internal_model: 'T3T2' })).toBe(2);
    expect(modelOf({ internal_model: 'toString' })).toBeUndefined();
  });
});

describe('modelOf: firmware older than internal_model (Core < 2.6.3, every Trezor One up to 1.14.1)', () => {
  it("'1' is the Trezor One, 'T' the Model T, 'R' the Safe 3 under its old name; no model at all an old One", () => {
    expect(modelOf({ model: '1' })?.internalModel).toBe('T1B1');
    expect(modelOf({ model: 'T' })?.internalModel).toBe('T2T1');
    expect(modelOf({ model: 'R' })?.internalModel).toBe('T2B1');
    expect(modelOf({})?.internalModel).toBe('T1B1');
    expect(modelOf({ model: 'Z' })).toBeUndefined();
    expect(modelOf(undefined)).toBeUndefined();
  });
});

describe('the table', () => {
  it('the Trezor One takes the PIN as matrix positions and the passphrase on the host only', () => {
    expect(MODELS.T1B1).toMatchObject({ family: 1, pin: 'host-matrix', passphrase: 'host', input: 'buttons', thpOnly: false, featuresModel: '1' });
  });

  it('only the Safe 7 is THP-only; the Safe 3 has buttons, the Model T and Safe 5 touch', () => {
    expect(Object.values(MODELS).filter((m) => m.thpOnly).map((m) => m.internalModel)).toEqual(['T3W1']);
    expect([MODELS.T2B1.input, MODELS.T3B1.input, MODELS.T2T1.input, MODELS.T3T1.input]).toEqual(['buttons', 'buttons', 'touch', 'touch']);
  });

  it('USB ids: WebUSB 1209:53c1 / 1209:53c0 for every model, HID 534c:0001 for the old One', () => {
    const ids = (list: readonly { vendorId: number; productId: number }[]) => list.map((u) => `${u.vendorId.toString(16)}:${u.productId.toString(16).padStart(4, '0')}`);
    for (const m of Object.values(MODELS)) {
      expect(ids(m.usb.firmware)).toContain('1209:53c1');
      expect(ids(m.usb.bootloader)).toContain('1209:53c0');
    }
    expect(ids(MODELS.T1B1.usb.firmware)).toEqual(['534c:0001', '1209:53c1']);
    expect(ids(MODELS.T3T1.usb.firmware)).toEqual(['1209:53c1']);
  });

  it('is exported from the core entry', () => {
    expect(core.MODELS.T3T1.name).toBe('Trezor Safe 5');
    expect(typeof core.modelOf).toBe('function');
  });
});

describe('capabilities', () => {
  it('Capability_PassphraseEntry, by name or by its enum number', () => {
    expect(canEnterPassphraseOnDevice({ capabilities: ['Capability_Bitcoin', 'Capability_PassphraseEntry'] })).toBe(true);
    expect(canEnterPassphraseOnDevice({ capabilities: [17] })).toBe(true);
    expect(canEnterPassphraseOnDevice({ capabilities: ['Capability_Bitcoin'] })).toBe(false);
    expect(canEnterPassphraseOnDevice(undefined)).toBe(false);
    expect(hasCapability({ capabilities: ['Capability_Ethereum'] }, 'Capability_Ethereum')).toBe(true);
    expect(hasCapability({ capabilities: ['Capability_Ethereum'] }, 'Capability_Bitcoin')).toBe(false);
  });
});

describe('version gates follow the family, not the major version', () => {
  const EIP1559 = { one: [1, 10, 4] as const, core: [2, 4, 2] as const };
  it('a Safe 5 is held to the Core version, a Trezor One to the 1.x one', () => {
    expect(firmwareAtLeast({ major_version: 2, minor_version: 4, patch_version: 1, internal_model: 'T3T1' }, EIP1559.one, EIP1559.core)).toBe(false);
    expect(firmwareAtLeast({ major_version: 2, minor_version: 8, patch_version: 9, internal_model: 'T3T1' }, EIP1559.one, EIP1559.core)).toBe(true);
    expect(firmwareAtLeast({ major_version: 1, minor_version: 10, patch_version: 3, model: '1' }, EIP1559.one, EIP1559.core)).toBe(false);
    expect(firmwareAtLeast({ major_version: 1, minor_version: 14, patch_version: 1, model: '1' }, EIP1559.one, EIP1559.core)).toBe(true);
  });

  it('NotSupported names the version of the family', () => {
    let error: unknown;
    try {
      requireFirmware({ major_version: 2, minor_version: 4, patch_version: 1, model: 'T' }, [1, 10, 4], [2, 4, 2], 'EIP-1559 transactions');
    } catch (e) {
      error = e;
    }
    expect(isTrezorError(error, 'NotSupported')).toBe(true);
    expect((error as Error).message).toContain('2.4.2');
  });
});

describe('a THP-only model (Safe 7) at connect', () => {
  async function connectWith(extra: Parameters<typeof features>[0]) {
    const { transport } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Features', features(extra));
    });
    return connect({ transport, sessionId: null }).then(
      (t) => t,
      (e: unknown) => e,
    );
  }

  it('v1 Features from a T3W1 firmware are refused with NotSupported naming THP', async () => {
    const error = await connectWith({ model: 'Safe 7', internal_model: 'T3W1', major_version: 2, minor_version: 9, patch_version: 3 });
    expect(isTrezorError(error, 'NotSupported')).toBe(true);
    expect((error as Error).message).toMatch(/Trezor Host Protocol \(THP\)/);
  });

  it('its bootloader (v1) connects', async () => {
    const trezor = await connectWith({ model: 'Safe 7', internal_model: 'T3W1', major_version: 2, minor_version: 9, patch_version: 3, bootloader_mode: true });
    expect(isTrezorError(trezor)).toBe(false);
    await (trezor as { close(): Promise<void> }).close();
  });
});
