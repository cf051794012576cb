import { describe, expect, it, vi } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { v1Link } from '../src/protocol/v1-link.js';
import { connect } from '../src/session/connect.js';
import { Trezor } from '../src/session/trezor.js';
import type { Transport } from '../src/transport/types.js';
import { faultTransport } from './support/fault-transport.js';
import { features, scriptedTransport, type ScriptedDevice } from './support/scripted-device.js';

/** Answer the connect-time Initialize, then run `rest`. */
function device(rest: (d: ScriptedDevice) => Promise<void>, extra = {}) {
  return scriptedTransport(async (d) => {
    await d.expect('Initialize');
    d.send('Features', features(extra));
    await rest(d);
  });
}

/** The same transport with every report write taking a millisecond (a slow USB link). */
function slowWrites(transport: Transport): Transport {
  return {
    ...transport,
    async open(descriptor, signal) {
      const connection = await transport.open(descriptor, signal);
      return {
        ...connection,
        write: async (report, writeSignal) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return connection.write(report, writeSignal);
        },
      };
    },
  };
}

async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('session: connect and calls', () => {
  it('sends Initialize and exposes Features', async () => {
    const { transport, errors } = device(async (d) => {
      const ping = await d.expect('Ping');
      d.send('Success', { message: ping.message });
    });
    const trezor = await connect({ transport, sessionId: null });
    expect(trezor.features.major_version).toBe(1);
    expect(trezor.features.internal_model).toBe('T1B1');
    expect(await trezor.ping('hi')).toBe('hi');
    await trezor.close();
    expect(errors).toEqual([]);
  });

  it('resumes the remembered session id on reconnect', async () => {
    const seen: (Uint8Array | undefined)[] = [];
    const { transport } = scriptedTransport(async (d) => {
      const init = await d.expect('Initialize');
      seen.push(init.session_id);
      d.send('Features', features({ session_id: new Uint8Array(32).fill(9) }));
    });
    const a = await connect({ transport, sessionId: null });
    await a.close();
    const b = await connect({ transport });
    await b.close();
    expect(seen[0]).toBeUndefined();
    expect(seen[1]).toEqual(new Uint8Array(32).fill(9));
  });

  it('features are frozen: writing to them throws, their bytes are a copy, getFeatures() refreshes them', async () => {
    const { transport } = device(async (d) => {
      await d.expect('GetFeatures');
      d.send('Features', features({ label: 'renamed', capabilities: ['Capability_Bitcoin'] }));
    }, { label: 'first', capabilities: ['Capability_Bitcoin', 'Capability_Ethereum'] });
    const trezor = await connect({ transport, sessionId: null });
    const before = trezor.features;
    expect(before.label).toBe('first');
    expect(Object.isFrozen(before)).toBe(true);
    // ES modules run in strict mode: a write to a frozen object throws.
    expect(() => {
      (before as { label?: string }).label = 'mine';
    }).toThrow(TypeError);
    expect(() => (before.capabilities as string[]).push('Capability_Shamir')).toThrow(TypeError);
    before.session_id![0] = 0xee;
    expect(trezor.sessionId).toEqual(new Uint8Array(32).fill(1));
    expect(trezor.features.label).toBe('first');

    const after = await trezor.getFeatures();
    expect(after).toBe(trezor.features);
    expect(trezor.features.label).toBe('renamed');
    expect(trezor.hasCapability('Capability_Ethereum')).toBe(false);
    expect(Object.isFrozen(trezor.features)).toBe(true);
    expect(before.label).toBe('first'); // the old snapshot is not rewritten behind the caller's back
    await trezor.close();
  });

  it('keeps the session id when a GetFeatures answer omits it', async () => {
    const { transport } = device(async (d) => {
      await d.expect('GetFeatures');
      d.send('Features', features({ session_id: undefined }));
    });
    const trezor = await connect({ transport, sessionId: null });
    const id = trezor.sessionId;
    expect(id).toEqual(new Uint8Array(32).fill(1));
    await trezor.getFeatures();
    expect(trezor.sessionId).toEqual(id);
  });

  it('retries Initialize once when a T1 left in an ack wait answers Failure(ActionCancelled)', async () => {
    const { transport } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
      await d.expect('Initialize');
      d.send('Features', features());
    });
    const trezor = await connect({ transport, sessionId: null });
    expect(trezor.features.initialized).toBe(true);
  });

  it('a THP-only device (Failure InvalidProtocol) is NotSupported', async () => {
    const { transport } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Failure', { code: 'Failure_InvalidProtocol' } as never);
    });
    const error = await caught(connect({ transport, sessionId: null }));
    expect(error.code).toBe('NotSupported');
  });

  it('answers ButtonRequest with ButtonAck, calling ui.button and the button event', async () => {
    const button = vi.fn();
    const { transport, errors } = device(async (d) => {
      await d.expect('Ping');
      d.send('ButtonRequest', { code: 'ButtonRequest_ProtectCall' });
      await d.expect('ButtonAck');
      d.send('Success', { message: 'ok' });
    });
    const trezor = await connect({ transport, ui: { button }, sessionId: null });
    const events: unknown[] = [];
    trezor.on('button', (e) => events.push(e));
    expect(await trezor.ping('ok', { buttonProtection: true })).toBe('ok');
    expect(button).toHaveBeenCalledWith({ code: 'ButtonRequest_ProtectCall' });
    expect(events).toEqual([{ code: 'ButtonRequest_ProtectCall' }]);
    expect(errors).toEqual([]);
  });

  it('ui.button and the button event come once the ButtonAck is written (the device is waiting), in that order of writes', async () => {
    const seen: string[][] = [];
    const { transport, errors } = device(async (d) => {
      await d.expect('Ping');
      d.send('ButtonRequest', { code: 'ButtonRequest_ProtectCall' });
      await d.expect('ButtonAck');
      d.send('ButtonRequest', { code: 'ButtonRequest_Other' });
      await d.expect('ButtonAck');
      d.send('Success', { message: 'ok' });
    });
    const watched = faultTransport(transport);
    const trezor = await connect({ transport: watched.transport, ui: { button: () => seen.push(['ui', ...watched.hostMessages]) }, sessionId: null });
    trezor.on('button', () => seen.push(['event', ...watched.hostMessages]));
    expect(await trezor.ping('ok', { buttonProtection: true })).toBe('ok');
    const first = ['Initialize', 'Ping', 'ButtonAck'];
    const second = [...first, 'ButtonAck'];
    expect(seen).toEqual([['event', ...first], ['ui', ...first], ['event', ...second], ['ui', ...second]]);
    expect(errors).toEqual([]);
  });

  it('an async ui.button or button listener that rejects neither breaks the call nor leaks an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { transport, errors } = device(async (d) => {
        await d.expect('Ping');
        d.send('ButtonRequest', { code: 'ButtonRequest_ProtectCall' });
        await d.expect('ButtonAck');
        d.send('Success', { message: 'ok' });
      });
      const failing = async () => {
        throw new Error('app bug');
      };
      const trezor = await connect({ transport, ui: { button: failing }, sessionId: null });
      trezor.on('button', failing);
      expect(await trezor.ping('ok', { buttonProtection: true })).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('runs queued calls one at a time, in order', async () => {
    const order: string[] = [];
    const { transport } = device(async (d) => {
      for (let i = 0; i < 3; i++) {
        const p = await d.expect('Ping');
        order.push(p.message!);
        await new Promise((r) => setTimeout(r, 5));
        d.send('Success', { message: p.message });
      }
    });
    const trezor = await connect({ transport, sessionId: null });
    const results = await Promise.all([trezor.ping('a'), trezor.ping('b'), trezor.ping('c')]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(order).toEqual(['a', 'b', 'c']);
  });
});

describe('session: PIN', () => {
  it('sends the positions from ui.pin in PinMatrixAck', async () => {
    let ack: string | undefined;
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PinMatrixRequest', { type: 'PinMatrixRequestType_Current' });
      ack = (await d.expect('PinMatrixAck')).pin;
      d.send('Address', { address: '1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL' });
    });
    const pin = vi.fn(async (_request: { type: string }) => '7415');
    const trezor = await connect({ transport, ui: { pin }, sessionId: null });
    const address = await trezor.typedCall('GetAddress', { address_n: [0] }, 'Address');
    expect(address.address).toBe('1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL');
    expect(ack).toBe('7415');
    expect(pin.mock.calls[0]![0].type).toBe('current');
  });

  it("the handler's signal fires when the call ends, and with the caller's reason when the call is aborted", async () => {
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PinMatrixRequest', { type: 'PinMatrixRequestType_Current' });
      await d.expect('PinMatrixAck');
      d.send('Address', { address: '1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL' });
      await d.expect('GetAddress');
      d.send('PinMatrixRequest', { type: 'PinMatrixRequestType_Current' });
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
    });
    const signals: AbortSignal[] = [];
    const controller = new AbortController();
    const pin = async ({ signal }: { signal?: AbortSignal }) => {
      signals.push(signal!);
      if (signals.length === 1) {
        expect(signal!.aborted).toBe(false); // open while the dialog is up
        return '7415';
      }
      controller.abort(new Error('user closed the page'));
      return new Promise<string>(() => {}); // a dialog nobody answers
    };
    const trezor = await connect({ transport, ui: { pin }, sessionId: null });
    await trezor.typedCall('GetAddress', { address_n: [0] }, 'Address');
    expect(signals[0]!.aborted).toBe(true);
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address', { signal: controller.signal }));
    expect(error.code).toBe('ActionCancelled');
    expect(signals[1]!.aborted).toBe(true);
    expect((signals[1]!.reason as Error).message).toBe('user closed the page');
  });

  it('without a pin handler it cancels and throws PinCancelled', async () => {
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PinMatrixRequest', { type: 'PinMatrixRequestType_Current' });
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
      const p = await d.expect('Ping');
      d.send('Success', { message: p.message });
    });
    const trezor = await connect({ transport, sessionId: null });
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address'));
    expect(error.code).toBe('PinCancelled');
    expect(await trezor.ping('still usable')).toBe('still usable');
  });

  it('wrong PIN maps to PinInvalid and the PIN is not in the message', async () => {
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PinMatrixRequest', { type: 'PinMatrixRequestType_Current' });
      await d.expect('PinMatrixAck');
      d.send('Failure', { code: 'Failure_PinInvalid', message: 'Invalid PIN' });
    });
    const trezor = await connect({ transport, ui: { pin: async () => '9876' }, sessionId: null });
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address'));
    expect(error.code).toBe('PinInvalid');
    expect(String(error.message)).not.toContain('9876');
    expect(JSON.stringify(error)).not.toContain('9876');
  });

  it('a PIN with characters other than positions 1-9 is refused before it is sent', async () => {
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PinMatrixRequest', { type: 'PinMatrixRequestType_Current' });
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
    });
    const trezor = await connect({ transport, ui: { pin: async () => '1230' }, sessionId: null });
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address'));
    expect(error.code).toBe('InvalidParameters');
    expect(error.message).not.toContain('1230');
  });

  it('a PIN handler answering with a number instead of a string is refused, and the device cancelled', async () => {
    const { transport, errors } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PinMatrixRequest', { type: 'PinMatrixRequestType_Current' });
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
      const p = await d.expect('Ping');
      d.send('Success', { message: p.message });
    });
    const trezor = await connect({ transport, ui: { pin: async () => 1234 as unknown as string }, sessionId: null });
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address'));
    expect(error.code).toBe('InvalidParameters');
    expect(error.field).toBe('pin');
    expect(error.message).not.toContain('1234');
    expect(await trezor.ping('still usable')).toBe('still usable');
    expect(errors).toEqual([]);
  });
});

describe('session: passphrase', () => {
  it('sends the passphrase from ui.passphrase', async () => {
    let ack: unknown;
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PassphraseRequest', {});
      ack = await d.expect('PassphraseAck');
      d.send('Address', { address: 'x' });
    });
    const trezor = await connect({ transport, ui: { passphrase: async () => ({ passphrase: 'TREZOR' }) }, sessionId: null });
    await trezor.typedCall('GetAddress', { address_n: [0] }, 'Address');
    expect(ack).toEqual({ passphrase: 'TREZOR' });
  });

  it('without a handler it chooses the standard wallet with an explicit empty passphrase', async () => {
    let ack: unknown;
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PassphraseRequest', {});
      ack = await d.expect('PassphraseAck');
      d.send('Address', { address: 'x' });
    });
    const trezor = await connect({ transport, sessionId: null });
    await trezor.typedCall('GetAddress', { address_n: [0] }, 'Address');
    expect(ack).toEqual({ passphrase: '' });
  });

  it('on-device entry is sent only when the device has the PassphraseEntry capability', async () => {
    let ack: unknown;
    const { transport } = device(
      async (d) => {
        await d.expect('GetAddress');
        d.send('PassphraseRequest', {});
        ack = await d.expect('PassphraseAck');
        d.send('Address', { address: 'x' });
      },
      { capabilities: ['Capability_Bitcoin', 'Capability_PassphraseEntry'] },
    );
    const trezor = await connect({ transport, ui: { passphrase: async () => ({ onDevice: true }) }, sessionId: null });
    await trezor.typedCall('GetAddress', { address_n: [0] }, 'Address');
    expect(ack).toEqual({ on_device: true });
  });

  it('hasCapability answers for the name asked, not for any name once PassphraseEntry is listed', async () => {
    const { transport } = device(async () => {}, { capabilities: ['Capability_Bitcoin', 'Capability_PassphraseEntry', 99] });
    const trezor = await connect({ transport, sessionId: null });
    expect(trezor.hasCapability('Capability_PassphraseEntry')).toBe(true);
    expect(trezor.hasCapability('Capability_Bitcoin')).toBe(true);
    expect(trezor.hasCapability('Capability_Ethereum')).toBe(false);
    expect(trezor.hasCapability('Capability_Shamir')).toBe(false);
    await trezor.close();
    const one = await connect({ transport: device(async () => {}, { capabilities: ['Capability_Bitcoin', 'Capability_Ethereum'] }).transport, sessionId: null });
    expect(one.hasCapability('Capability_Ethereum')).toBe(true);
    expect(one.hasCapability('Capability_PassphraseEntry')).toBe(false);
    await one.close();
  });

  it('hasCapability also reads capabilities given as wire numbers (PassphraseEntry is 17, Ethereum 7)', async () => {
    const { transport } = device(async () => {});
    const [descriptor] = await transport.enumerate();
    const connection = v1Link(await transport.open(descriptor!));
    const numeric = new Trezor(connection, descriptor!, {}, { major_version: 2, minor_version: 4, patch_version: 1, capabilities: [1, 17] });
    expect(numeric.hasCapability('Capability_PassphraseEntry')).toBe(true);
    expect(numeric.hasCapability('Capability_Bitcoin')).toBe(true);
    expect(numeric.hasCapability('Capability_Ethereum')).toBe(false);
    expect(new Trezor(connection, descriptor!, {}, { major_version: 2, minor_version: 4, patch_version: 1, capabilities: [7] }).hasCapability('Capability_Ethereum')).toBe(true);
    await connection.close();
  });

  it('on-device entry on a Trezor One is NotSupported (and the device is cancelled)', async () => {
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PassphraseRequest', {});
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
    });
    const trezor = await connect({ transport, ui: { passphrase: async () => ({ onDevice: true }) }, sessionId: null });
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address'));
    expect(error.code).toBe('NotSupported');
  });

  it('a passphrase over 50 bytes is refused without echoing it', async () => {
    const secret = 'correct horse battery staple '.repeat(3);
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PassphraseRequest', {});
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
    });
    const trezor = await connect({ transport, ui: { passphrase: async () => ({ passphrase: secret }) }, sessionId: null });
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address'));
    expect(error.code).toBe('InvalidParameters');
    expect(error.message).not.toContain('horse');
  });

  it('a passphrase handler answering null is refused, and the device cancelled', async () => {
    const { transport, errors } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PassphraseRequest', {});
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
      const p = await d.expect('Ping');
      d.send('Success', { message: p.message });
    });
    const trezor = await connect({ transport, ui: { passphrase: async () => null as never }, sessionId: null });
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address'));
    expect(error.code).toBe('InvalidParameters');
    expect(error.field).toBe('passphrase');
    expect(await trezor.ping('still usable')).toBe('still usable');
    expect(errors).toEqual([]);
  });

  it('a rejected passphrase dialog is PassphraseCancelled', async () => {
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('PassphraseRequest', {});
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
    });
    const trezor = await connect({ transport, ui: { passphrase: async () => Promise.reject(new Error('closed')) }, sessionId: null });
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address'));
    expect(error.code).toBe('PassphraseCancelled');
  });
});

describe('session: cancel, failures, unplug', () => {
  it('aborting during a button request sends Cancel, waits for the Failure and stays usable', async () => {
    const { transport, errors } = device(async (d) => {
      await d.expect('Ping');
      d.send('ButtonRequest', { code: 'ButtonRequest_ProtectCall' });
      await d.expect('ButtonAck');
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
      const p = await d.expect('Ping');
      d.send('Success', { message: p.message });
    });
    const controller = new AbortController();
    const trezor = await connect({ transport, ui: { button: () => setTimeout(() => controller.abort(), 5) }, sessionId: null });
    const error = await caught(trezor.ping('x', { buttonProtection: true, signal: controller.signal }));
    expect(error.code).toBe('ActionCancelled');
    expect(await trezor.ping('after')).toBe('after');
    expect(errors).toEqual([]);
  });

  it('aborting synchronously inside ui.button sends Cancel after the ButtonAck (the device waits for its button by then)', async () => {
    const { transport, errors } = device(async (d) => {
      await d.expect('Ping');
      d.send('ButtonRequest', { code: 'ButtonRequest_ProtectCall' });
      await d.expect('ButtonAck');
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
      const p = await d.expect('Ping');
      d.send('Success', { message: p.message });
    });
    const controller = new AbortController();
    const trezor = await connect({ transport, ui: { button: () => controller.abort() }, sessionId: null });
    const error = await caught(trezor.ping('x', { buttonProtection: true, signal: controller.signal }));
    expect(error.code).toBe('ActionCancelled');
    expect(await trezor.ping('after')).toBe('after');
    expect(errors).toEqual([]);
  });

  it('aborting while a long request is still being written sends Cancel after its last report', async () => {
    const text = 'x'.repeat(2000); // 32 reports
    let ping: unknown;
    const { transport, errors } = device(async (d) => {
      ping = await d.expect('Ping');
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
    });
    const trezor = await connect({ transport: slowWrites(transport), sessionId: null });
    const controller = new AbortController();
    const call = trezor.call('Ping', { message: text }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    expect((await caught(call)).code).toBe('ActionCancelled');
    expect(ping).toEqual({ message: text });
    expect(errors).toEqual([]);
  });

  it('close() while a call waits for the user cancels it on the device instead of waiting forever', async () => {
    const { transport, errors } = device(async (d) => {
      await d.expect('Ping');
      d.send('ButtonRequest', { code: 'ButtonRequest_ProtectCall' });
      await d.expect('ButtonAck');
      await d.expect('Cancel'); // the user never presses: only the Cancel ends the wait
      d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
    });
    let pressed: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (pressed = resolve));
    const trezor = await connect({ transport, ui: { button: () => pressed() }, sessionId: null });
    const call = caught(trezor.ping('x', { buttonProtection: true }));
    await waiting;
    const closed = trezor.close().then(() => 'closed');
    const late = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1000));
    expect(await Promise.race([closed, late])).toBe('closed');
    expect((await call).code).toBe('ActionCancelled');
    expect((await caught(trezor.ping('after'))).code).toBe('DeviceDisconnected');
    expect(errors).toEqual([]);
  });

  it('an explicit Cancel the device never answers ends in Timeout after the drain time, not never', async () => {
    const { transport } = device(async (d) => {
      await d.expect('Cancel'); // and silence
    });
    const trezor = await connect({ transport, sessionId: null });
    vi.useFakeTimers();
    try {
      const result = caught(trezor.call('Cancel', {}));
      await vi.advanceTimersByTimeAsync(10_001);
      const settled = await Promise.race([result, Promise.resolve('pending')]);
      expect((settled as { code?: string }).code).toBe('Timeout');
    } finally {
      vi.useRealTimers();
    }
  });

  it('maps Failure codes to TrezorError codes', async () => {
    const cases = [
      ['Failure_ActionCancelled', 'ActionCancelled'],
      ['Failure_UnexpectedMessage', 'UnexpectedMessage'],
      ['Failure_PinExpected', 'DeviceLocked'],
      ['Failure_DataError', 'FirmwareError'],
      ['Failure_NotInitialized', 'FirmwareError'],
      ['Failure_Busy', 'DeviceBusy'],
    ] as const;
    const { transport } = device(async (d) => {
      for (const [failure] of cases) {
        await d.expect('Ping');
        d.send('Failure', { code: failure, message: `text of ${failure}` });
      }
    });
    const trezor = await connect({ transport, sessionId: null });
    for (const [failure, code] of cases) {
      const error = await caught(trezor.ping('x'));
      expect(isTrezorError(error, code)).toBe(true);
      expect(error.failureMessage).toBe(`text of ${failure}`);
    }
  });

  it('DataError keeps the firmware code number', async () => {
    const { transport } = device(async (d) => {
      await d.expect('Ping');
      d.send('Failure', { code: 'Failure_DataError', message: 'Forbidden key path' });
    });
    const trezor = await connect({ transport, sessionId: null });
    const error = await caught(trezor.ping('x'));
    expect(error.failureCode).toBe(3);
    expect(error.message).toContain('Forbidden key path');
  });

  it('unplug mid-call rejects that call with DeviceDisconnected and emits disconnect', async () => {
    const { transport } = device(async (d) => {
      await d.expect('Ping');
      d.unplug();
    });
    const trezor = await connect({ transport, sessionId: null });
    const onDisconnect = vi.fn();
    trezor.on('disconnect', onDisconnect);
    const error = await caught(trezor.ping('x'));
    expect(error.code).toBe('DeviceDisconnected');
    expect(onDisconnect).toHaveBeenCalled();
    expect((await caught(trezor.ping('y'))).code).toBe('DeviceDisconnected');
  });

  it('a call for an unexpected answer type is UnexpectedMessage', async () => {
    const { transport } = device(async (d) => {
      await d.expect('GetAddress');
      d.send('Success', {});
    });
    const trezor = await connect({ transport, sessionId: null });
    const error = await caught(trezor.typedCall('GetAddress', { address_n: [0] }, 'Address'));
    expect(error.code).toBe('UnexpectedMessage');
  });
});

describe('session: malformed frames', () => {
  it('a bad continuation report is a ProtocolError for that call, and the next call works', async () => {
    const { transport } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Features', features());
      await d.expect('Ping');
      d.sendRaw([new Uint8Array(64).fill(0).map((_, i) => (i === 0 ? 0x3f : i < 3 ? 0x23 : i === 8 ? 200 : 0)), new Uint8Array(64)]);
      const p = await d.expect('Ping');
      d.send('Success', { message: p.message });
    });
    const trezor = await connect({ transport, sessionId: null });
    const error = await caught(trezor.ping('x'));
    expect(error.code).toBe('ProtocolError');
    expect(await trezor.ping('y')).toBe('y');
  });

  it('an unknown message type from the device is a ProtocolError', async () => {
    const { transport } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Features', features());
      await d.expect('Ping');
      d.sendRaw([Uint8Array.from({ length: 64 }, (_, i) => [0x3f, 0x23, 0x23, 0xfe, 0xed][i] ?? 0)]);
    });
    const trezor = await connect({ transport, sessionId: null });
    expect((await caught(trezor.ping('x'))).code).toBe('ProtocolError');
  });
});

describe('session: resynchronising after an unanswered Cancel', () => {
  it('a Cancel the device does not answer in time is a Timeout; the next call first syncs with a Ping nonce', async () => {
    let nonce: string | undefined;
    const { transport, errors } = device(async (d) => {
      await d.expect('Ping');
      d.send('ButtonRequest', { code: 'ButtonRequest_ProtectCall' });
      await d.expect('ButtonAck');
      await d.expect('Cancel');
      // Busy past the host's 40 ms: the Failure for the Cancel comes only after the host has
      // given up and sent its sync Ping.
      const sync = await d.expect('Ping');
      nonce = sync.message;
      d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
      d.send('Success', { message: sync.message });
      const p = await d.expect('Ping');
      d.send('Success', { message: p.message });
    });
    const controller = new AbortController();
    const trezor = await connect({
      transport,
      ui: { button: () => setTimeout(() => controller.abort(), 5) },
      sessionId: null,
      cancelTimeout: 40,
    });
    const error = await caught(trezor.ping('x', { buttonProtection: true, signal: controller.signal }));
    expect(error.code).toBe('Timeout');
    // Without the resync the late Failure would be taken as this call's answer.
    expect(await trezor.ping('after')).toBe('after');
    expect(nonce).toMatch(/^SYNC[0-9a-f]{16}$/);
    expect(errors).toEqual([]);
  });

  it('cancelTimeout must be a positive number', async () => {
    const { transport } = device(async () => {});
    expect((await caught(connect({ transport, cancelTimeout: -1 }))).code).toBe('InvalidParameters');
  });

  it('initialize(null) starts a new session', async () => {
    const seen: (Uint8Array | undefined)[] = [];
    const { transport } = device(async (d) => {
      seen.push((await d.expect('Initialize')).session_id);
      d.send('Features', features({ session_id: new Uint8Array(32).fill(2) }));
    });
    const trezor = await connect({ transport, sessionId: null });
    await trezor.initialize(null);
    expect(seen).toEqual([undefined]);
    expect(trezor.sessionId).toEqual(new Uint8Array(32).fill(2));
  });
});
