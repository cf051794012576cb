// A device that goes silent in the middle of a message: the call ends in Timeout after the
// configured messageTimeout, the connection is released, and a new connect() works. Before a
// message starts the device may wait as long as the user does; only a message cut in two is
// a fault.
import { afterEach, describe, expect, it } from 'vitest';
import { getPublicKey } from '../src/bitcoin/index.js';
import { encodeMessage } from '../src/messages/index.js';
import { encodeReports } from '../src/protocol/v1.js';
import { connect } from '../src/session/connect.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { faultTransport } from './support/fault-transport.js';
import { SLIP14_MNEMONIC } from './support/fixtures.js';
import { features, scriptedTransport } from './support/scripted-device.js';

const devices: VirtualTrezor[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
});

async function failure(p: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string };
  }
  throw new Error('resolved');
}

describe('a device silent in the middle of a message', () => {
  it('scripted: Timeout after messageTimeout, the session is closed, a new connect() works', async () => {
    let connections = 0;
    const long = encodeMessage('Success', { message: 'x'.repeat(200) }); // 4 reports
    const { transport, errors } = scriptedTransport(async (d) => {
      connections++;
      await d.expect('Initialize');
      d.send('Features', features());
      await d.expect('Ping');
      if (connections === 1) {
        d.sendRaw(encodeReports(long.type, long.payload).slice(0, 2)); // then nothing
        await d.next(); // never comes: the host closes the link
      } else {
        d.send('Success', { message: 'back' });
      }
    });
    const trezor = await connect({ transport, sessionId: null, messageTimeout: 60 });
    const started = Date.now();
    const error = await failure(trezor.ping('hi'));
    const elapsed = Date.now() - started;
    expect(error.code).toBe('Timeout'); // not the DeviceDisconnected of the link closing under it
    expect(elapsed).toBeGreaterThanOrEqual(55);
    expect(elapsed).toBeLessThan(2000);
    // The session is over: further calls say so at once, without touching the line.
    expect((await failure(trezor.ping('again'))).code).toBe('DeviceDisconnected');
    await trezor.close(); // safe after the timeout
    // The connection was released: the device can be opened again.
    const again = await connect({ transport, sessionId: null, messageTimeout: 60 });
    expect(await again.ping('hi')).toBe('back');
    await again.close();
    expect(errors).toEqual([]);
  });

  it('a device slow to start its answer is waited for (no timeout before the header)', async () => {
    const { transport } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Features', features());
      await d.expect('Ping');
      await new Promise((r) => setTimeout(r, 150));
      d.send('Success', { message: 'y'.repeat(200) });
    });
    const trezor = await connect({ transport, sessionId: null, messageTimeout: 30 });
    expect(await trezor.ping('slow')).toBe('y'.repeat(200));
    await trezor.close();
  });

  it('messageTimeout must be a positive number', async () => {
    const { transport } = scriptedTransport(async () => {});
    for (const messageTimeout of [0, -1, Number.NaN, Infinity]) {
      expect(await failure(connect({ transport, messageTimeout }))).toMatchObject({ code: 'InvalidParameters', field: 'messageTimeout' });
    }
  });

  it('VirtualTrezor told to stall after the first report of an xpub answer: Timeout, then a fresh connect signs on', async () => {
    const virtual = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, autoConfirm: true });
    devices.push(virtual);
    const faults = faultTransport(virtual.transport());
    const trezor = await connect({ transport: faults.transport, messageTimeout: 50 });
    faults.stall(1); // the PublicKey answer takes 3 reports: only its first arrives
    const error = await failure(getPublicKey(trezor, { path: "m/44'/0'/0'" }));
    expect(error.code).toBe('Timeout');
    expect(faults.deviceMessages.at(-1)).toBe('PublicKey'); // the device did answer; the wire lost it
    faults.resume();
    const again = await connect({ transport: faults.transport, messageTimeout: 50 });
    const key = await getPublicKey(again, { path: "m/44'/0'/0'" });
    // trezor-firmware tests/device_tests/bitcoin/test_getpublickey.py, VECTORS_BITCOIN (slip14.json)
    expect(key.xpub).toBe('xpub6BiVtCpG9fQPxnPmHXG8PhtzQdWC2Su4qWu6XW9tpWFYhxydCLJGrWBJZ5H6qTAHdPQ7pQhtpjiYZVZARo14qHiay2fvrX996oEP42u8wZy');
    await again.close();
  });
});
