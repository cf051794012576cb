/**
 * WebHID transport (Trezor One on firmware < 1.7.0) against a fake navigator.hid: chooser
 * filter with usage page 0xFF00, the U2F collection left alone, sendReport(0, 64 bytes),
 * input report events, unplug and close.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { decodeReports, encodeReports } from '../src/protocol/v1.js';
import type { TransportConnection } from '../src/transport/types.js';
import { webHid } from '../src/transport/webhid.js';
import { MT } from './fakes/fake-webusb.js';
import { FakeHid, FakeHidDevice } from './fakes/fake-webhid.js';

/** Ping{message} payload: field 1, length-delimited (ASCII message). */
const ping = (message: string) => {
  const length: number[] = [];
  for (let n = message.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  return Uint8Array.from([0x0a, ...length, ...new TextEncoder().encode(message)]);
};

async function readMessage(connection: TransportConnection) {
  const reports: Uint8Array[] = [];
  for (;;) {
    reports.push(await connection.read());
    try {
      return decodeReports(reports);
    } catch (e) {
      if (!isTrezorError(e, 'ProtocolError')) throw e;
    }
  }
}

const opened: TransportConnection[] = [];
async function openFirst(hid: FakeHid) {
  const transport = webHid({ hid });
  const [descriptor] = await transport.enumerate();
  const connection = await transport.open(descriptor!);
  opened.push(connection);
  return connection;
}

afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
});

describe('webHid', () => {
  it('lists only the wire collection (usage page 0xFF00), never the U2F one', async () => {
    const { hid } = FakeHid.trezorOne();
    hid.devices.push(new FakeHidDevice({ vendorId: 0x1050, productId: 0x0407, usagePage: 0xf1d0 })); // a security key
    hid.granted.add(hid.devices.at(-1)!);
    const list = await webHid({ hid }).enumerate();
    expect(list).toEqual([{ path: 'hid-0', vendorId: 0x534c, productId: 0x0001, product: 'TREZOR' }]);
  });

  it('asks the chooser for 0x534c:0x0001 on usage page 0xFF00 and picks the wire collection', async () => {
    const { hid, wire } = FakeHid.trezorOne();
    hid.granted.clear();
    const transport = webHid({ hid });
    const picked = await transport.request!();
    expect(hid.requests).toEqual([{ filters: [{ vendorId: 0x534c, productId: 0x0001, usagePage: 0xff00 }] }]);
    await transport.open(picked).then((c) => opened.push(c));
    expect(wire.opened).toBe(true);
  });

  it('never opens the U2F collection even when the chooser hands it over', async () => {
    const { hid, wire, u2f } = FakeHid.trezorOne();
    const transport = webHid({ hid });
    hid.requestDevice = async () => [u2f, wire]; // a chooser that returns every collection
    const picked = await transport.request!();
    await transport.open(picked).then((c) => opened.push(c));
    expect(wire.opened).toBe(true);
    expect(u2f.calls).toEqual([]);
  });

  it('maps chooser errors: no gesture → NotSupported (click), closed → ActionCancelled', async () => {
    const { hid } = FakeHid.trezorOne();
    hid.chooser = 'no-gesture';
    const error = await webHid({ hid }).request!().catch((e) => e);
    expect(error).toMatchObject({ code: 'NotSupported' });
    expect(error.message).toMatch(/click/);
    hid.chooser = 'cancel';
    await expect(webHid({ hid }).request!()).rejects.toMatchObject({ code: 'ActionCancelled' });
  });

  it('reports a browser without WebHID as NotSupported', async () => {
    const error = await webHid({ hid: undefined }).enumerate().catch((e) => e);
    expect(error).toMatchObject({ code: 'NotSupported' });
    expect(error.message).toMatch(/WebHID is unavailable/);
  });

  it('writes with sendReport(0, 64 bytes) and reads input report events', async () => {
    const { hid, wire } = FakeHid.trezorOne();
    const connection = await openFirst(hid);
    const message = 'y'.repeat(120); // 122-byte payload: 3 reports out, 3 back
    for (const report of encodeReports(MT.Ping, ping(message))) await connection.write(report);
    const reply = await readMessage(connection);
    expect(reply).toEqual({ type: MT.Success, payload: ping(message) });
    expect(wire.sent.map((s) => [s.reportId, s.data.length])).toEqual([
      [0, 64],
      [0, 64],
      [0, 64],
    ]);
    expect(wire.sent[0]!.data[0]).toBe(0x3f); // the report id is not inside the data
  });

  it('copies input reports out of the event DataView', async () => {
    const { hid, wire } = FakeHid.trezorOne();
    const connection = await openFirst(hid);
    const report = encodeReports(MT.Success, new Uint8Array())[0]!;
    wire.inputReport(report);
    const got = await connection.read();
    expect(got).toBeInstanceOf(Uint8Array);
    expect(got).toHaveLength(64);
    expect(got).toEqual(report);
  });

  it('maps a failed open to DeviceBusy and refuses a second connection in the same page', async () => {
    const { hid, wire } = FakeHid.trezorOne();
    wire.openError = new DOMException('Failed to open the device.', 'NotAllowedError');
    await expect(openFirst(hid)).rejects.toMatchObject({ code: 'DeviceBusy' });
    wire.openError = undefined;
    await openFirst(hid);
    await expect(openFirst(hid)).rejects.toMatchObject({ code: 'DeviceBusy' });
  });

  it('fails pending reads and fires onDisconnect when the device is unplugged', async () => {
    const { hid, wire } = FakeHid.trezorOne();
    const connection = await openFirst(hid);
    const onDisconnect = vi.fn();
    connection.onDisconnect(onDisconnect);
    const pending = connection.read();
    pending.catch(() => undefined); // rejection asserted below, after other awaits
    hid.unplug(wire);
    await expect(pending).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(onDisconnect).toHaveBeenCalledTimes(1);
    await expect(connection.write(new Uint8Array(64))).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(hid.listenerCount).toBe(0);
    expect(wire.listenerCount).toBe(0);
  });

  it('treats a refused write (NotAllowedError after unplug) as DeviceDisconnected', async () => {
    const { hid, wire } = FakeHid.trezorOne();
    const connection = await openFirst(hid);
    wire.sendError = new DOMException('Failed to write the report.', 'NotAllowedError');
    await expect(connection.write(new Uint8Array(64))).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });

  it('aborts a pending read with the signal', async () => {
    const { hid } = FakeHid.trezorOne();
    const connection = await openFirst(hid);
    const controller = new AbortController();
    const pending = connection.read(controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('close removes the listeners and closes the device, once', async () => {
    const { hid, wire } = FakeHid.trezorOne();
    const connection = await openFirst(hid);
    const pending = connection.read();
    pending.catch(() => undefined); // rejection asserted below, after other awaits
    await connection.close();
    await connection.close();
    await expect(pending).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(wire.calls.filter((c) => c === 'close')).toHaveLength(1);
    expect(wire.opened).toBe(false);
    expect(hid.listenerCount).toBe(0);
    expect(wire.listenerCount).toBe(0);
  });
});
