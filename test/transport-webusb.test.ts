/**
 * WebUSB transport against a fake navigator.usb: chooser filters, the open/claim sequence,
 * endpoint-1 transfers of 64 bytes, error mapping, unplug and abort behaviour. The Node
 * `usb()` transport drives the same code, so its wrapper is pinned here too.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { decodeReports, encodeReports } from '../src/protocol/v1.js';
import type { TransportConnection } from '../src/transport/types.js';
import { webUsb } from '../src/transport/webusb.js';
import { usb } from '../src/transport/usb-node.js';
import { FAILURE_CANCELLED, FakeUsb, FakeUsbDevice, MT } from './fakes/fake-webusb.js';

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

async function readMessage(connection: TransportConnection, signal?: AbortSignal) {
  const reports: Uint8Array[] = [];
  for (;;) {
    reports.push(await connection.read(signal));
    try {
      return decodeReports(reports);
    } catch (e) {
      if (!isTrezorError(e, 'ProtocolError') || !/ended before/.test((e as Error).message)) throw e;
    }
  }
}

async function send(connection: TransportConnection, type: number, payload: Uint8Array) {
  for (const report of encodeReports(type, payload)) await connection.write(report);
}

const opened: TransportConnection[] = [];
async function openFirst(fake: FakeUsb) {
  const transport = webUsb({ usb: fake });
  const [descriptor] = await transport.enumerate();
  const connection = await transport.open(descriptor!);
  opened.push(connection);
  return connection;
}

afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
});

describe('webUsb: enumerate and request', () => {
  it('lists only granted Trezor devices, with the serial number as path and the bootloader flagged', async () => {
    const fake = new FakeUsb(
      new FakeUsbDevice({ serialNumber: 'ABC123' }),
      new FakeUsbDevice({ vendorId: 0x046d, productId: 0xc52b, serialNumber: 'MOUSE' }),
      new FakeUsbDevice({ productId: 0x53c0, serialNumber: '000000000000000000000000' }),
    );
    fake.plug(new FakeUsbDevice({ serialNumber: 'NOT-GRANTED' }));
    const list = await webUsb({ usb: fake }).enumerate();
    expect(list).toEqual([
      { path: 'ABC123', vendorId: 0x1209, productId: 0x53c1, product: 'TREZOR' },
      { path: '000000000000000000000000', vendorId: 0x1209, productId: 0x53c0, product: 'TREZOR', bootloader: true },
    ]);
  });

  it('keeps paths unique when serials repeat (bootloaders) or are missing', async () => {
    const zeros = '000000000000000000000000';
    const fake = new FakeUsb(
      new FakeUsbDevice({ productId: 0x53c0, serialNumber: zeros }),
      new FakeUsbDevice({ productId: 0x53c0, serialNumber: zeros }),
      new FakeUsbDevice({ serialNumber: null }),
    );
    const paths = (await webUsb({ usb: fake }).enumerate()).map((d) => d.path);
    expect(paths).toEqual([zeros, `${zeros}#1`, 'usb-2']);
  });

  it('asks the chooser for the Trezor firmware and bootloader ids and returns the picked device', async () => {
    const fake = new FakeUsb();
    fake.plug(new FakeUsbDevice({ serialNumber: 'PICKED' }));
    const transport = webUsb({ usb: fake });
    expect(await transport.enumerate()).toEqual([]);
    const picked = await transport.request!();
    expect(fake.requests).toEqual([
      {
        filters: [
          { vendorId: 0x1209, productId: 0x53c1 },
          { vendorId: 0x1209, productId: 0x53c0 },
        ],
      },
    ]);
    expect(picked.path).toBe('PICKED');
    expect((await transport.enumerate()).map((d) => d.path)).toEqual(['PICKED']);
  });

  it('maps a chooser opened without a user gesture to NotSupported asking for a click', async () => {
    const fake = new FakeUsb();
    fake.chooser = 'no-gesture';
    const error = await webUsb({ usb: fake }).request!().catch((e) => e);
    expect(isTrezorError(error, 'NotSupported')).toBe(true);
    expect(error.message).toMatch(/click/);
    expect(error.message).toMatch(/gesture/);
    expect(error.cause).toBeInstanceOf(DOMException);
  });

  it('maps a closed chooser to ActionCancelled', async () => {
    const fake = new FakeUsb();
    fake.chooser = 'cancel';
    fake.plug(new FakeUsbDevice());
    await expect(webUsb({ usb: fake }).request!()).rejects.toMatchObject({ name: 'TrezorError', code: 'ActionCancelled' });
  });

  it('maps a platform that cannot list USB devices to NotSupported', async () => {
    const fake = new FakeUsb();
    const cause = new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)');
    fake.getDevices = async () => Promise.reject(cause);
    await expect(webUsb({ usb: fake }).enumerate()).rejects.toMatchObject({ code: 'NotSupported', cause });
  });

  it('reports a browser without WebUSB as NotSupported, lazily', async () => {
    const transport = webUsb({ usb: undefined }); // Node has no navigator.usb
    expect(transport.name).toBe('webusb');
    const error = await transport.enumerate().catch((e) => e);
    expect(error).toMatchObject({ code: 'NotSupported' });
    expect(error.message).toMatch(/WebUSB is unavailable in this browser/);
    expect(error.message).toMatch(/Chromium/);
    await expect(transport.request!()).rejects.toMatchObject({ code: 'NotSupported' });
  });
});

describe('webUsb: open and transfers', () => {
  it('opens, selects configuration 1 and claims interface 0, in that order', async () => {
    const device = new FakeUsbDevice({ configurationValue: null });
    await openFirst(new FakeUsb(device));
    expect(device.calls).toEqual(['open', 'selectConfiguration(1)', 'claimInterface(0)']);
  });

  it('skips selectConfiguration when configuration 1 is already active', async () => {
    const device = new FakeUsbDevice({ configurationValue: 1 });
    await openFirst(new FakeUsb(device));
    expect(device.calls).toEqual(['open', 'claimInterface(0)']);
  });

  it('round-trips Ping → Success with 64-byte transfers on endpoint 1', async () => {
    const device = new FakeUsbDevice();
    const connection = await openFirst(new FakeUsb(device));
    await send(connection, MT.Ping, ping('hello'));
    const reply = await readMessage(connection);
    expect(reply.type).toBe(MT.Success);
    expect(reply.payload).toEqual(ping('hello'));
    const transfers = device.calls.filter((c) => c.startsWith('transfer'));
    expect(transfers).toEqual(['transferOut(1,64)', 'transferIn(1,64)']);
    expect(device.written[0]!.slice(0, 9)).toEqual(Uint8Array.of(0x3f, 0x23, 0x23, 0x00, 0x01, 0, 0, 0, 7));
  });

  it('round-trips a multi-report message without starting transfers nobody waits for', async () => {
    const device = new FakeUsbDevice();
    const connection = await openFirst(new FakeUsb(device));
    const message = 'x'.repeat(200); // 203-byte payload → 4 reports each way
    await send(connection, MT.Ping, ping(message));
    const reply = await readMessage(connection);
    expect(reply.payload).toEqual(ping(message));
    expect(device.calls.filter((c) => c === 'transferOut(1,64)')).toHaveLength(4);
    expect(device.calls.filter((c) => c === 'transferIn(1,64)')).toHaveLength(4);
    expect(device.pendingReads).toBe(0);
  });

  it('tolerates a configuration getter that throws while the device is closed (usb package v3)', async () => {
    class StrictDevice extends FakeUsbDevice {
      override get configuration() {
        if (!this.opened) throw new Error('configuration error: Permission denied (os error 13)');
        return super.configuration;
      }
    }
    const device = new StrictDevice({ configurationValue: null });
    await openFirst(new FakeUsb(device));
    expect(device.calls).toEqual(['open', 'selectConfiguration(1)', 'claimInterface(0)']);
  });

  it('rejects a report that is not 64 bytes', async () => {
    const connection = await openFirst(new FakeUsb(new FakeUsbDevice()));
    await expect(connection.write(new Uint8Array(63))).rejects.toMatchObject({ code: 'InvalidParameters' });
  });

  it('maps a refused claim (another tab, app or Bridge) to DeviceBusy and closes the device again', async () => {
    const device = new FakeUsbDevice();
    device.claimError = new DOMException('Unable to claim interface.', 'NetworkError');
    const error = await openFirst(new FakeUsb(device)).catch((e) => e);
    expect(error).toMatchObject({ name: 'TrezorError', code: 'DeviceBusy' });
    expect(error.cause).toBe(device.claimError);
    await vi.waitFor(() => expect(device.calls.at(-1)).toBe('close'));
  });

  it('maps "SecurityError: Access denied." from open() to DeviceBusy', async () => {
    const device = new FakeUsbDevice();
    device.openError = new DOMException('Access denied.', 'SecurityError');
    await expect(openFirst(new FakeUsb(device))).rejects.toMatchObject({ code: 'DeviceBusy' });
  });

  it('refuses a second connection to a device this page already holds', async () => {
    const fake = new FakeUsb(new FakeUsbDevice());
    await openFirst(fake);
    await expect(openFirst(fake)).rejects.toMatchObject({ code: 'DeviceBusy' });
  });

  it('maps an unknown path to DeviceDisconnected', async () => {
    await expect(webUsb({ usb: new FakeUsb(new FakeUsbDevice()) }).open({ path: 'GONE' })).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });
});

describe('webUsb: unplug, abort, close', () => {
  it('fails a pending read promptly on unplug even when transferIn never settles', async () => {
    const device = new FakeUsbDevice();
    device.hangOnUnplug = true;
    const fake = new FakeUsb(device);
    const connection = await openFirst(fake);
    const onDisconnect = vi.fn();
    connection.onDisconnect(onDisconnect);
    const pending = connection.read();
    pending.catch(() => undefined); // rejection asserted below, after other awaits
    await vi.waitFor(() => expect(device.pendingReads).toBe(1));
    const started = Date.now();
    fake.unplug(device);
    await expect(pending).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(Date.now() - started).toBeLessThan(100);
    expect(onDisconnect).toHaveBeenCalledTimes(1);
    await expect(connection.read()).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    await expect(connection.write(new Uint8Array(64))).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(fake.listenerCount).toBe(0);
  });

  it('ignores the unplug of another device', async () => {
    const mine = new FakeUsbDevice({ serialNumber: 'MINE' });
    const other = new FakeUsbDevice({ serialNumber: 'OTHER' });
    const fake = new FakeUsb(mine, other);
    const connection = await openFirst(fake);
    const onDisconnect = vi.fn();
    connection.onDisconnect(onDisconnect);
    fake.unplug(other);
    await send(connection, MT.Ping, ping('still here'));
    expect((await readMessage(connection)).type).toBe(MT.Success);
    expect(onDisconnect).not.toHaveBeenCalled();
  });

  it('maps a transfer DOMException after unplug (NotFoundError) to DeviceDisconnected', async () => {
    const device = new FakeUsbDevice();
    const connection = await openFirst(new FakeUsb(device));
    const onDisconnect = vi.fn();
    connection.onDisconnect(onDisconnect);
    device.transferOutError = new DOMException('The device was disconnected.', 'NotFoundError');
    await expect(connection.write(new Uint8Array(64))).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(onDisconnect).toHaveBeenCalledTimes(1);
    await expect(connection.read()).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });

  it('aborts a pending read with the signal, and the report that arrives later is not lost', async () => {
    const device = new FakeUsbDevice();
    const connection = await openFirst(new FakeUsb(device));
    const controller = new AbortController();
    const pending = connection.read(controller.signal);
    await vi.waitFor(() => expect(device.pendingReads).toBe(1));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    // The abandoned transferIn is still running; what it brings goes to the next reader.
    device.sendMessage(MT.Failure, FAILURE_CANCELLED);
    const reply = await readMessage(connection);
    expect(reply).toEqual({ type: MT.Failure, payload: FAILURE_CANCELLED });
    expect(device.calls.filter((c) => c.startsWith('transferIn'))).toHaveLength(1);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const connection = await openFirst(new FakeUsb(new FakeUsbDevice()));
    await expect(connection.read(AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    await expect(connection.write(new Uint8Array(64), AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('retries the "no data yet" timeouts of the node usb package', async () => {
    const device = new FakeUsbDevice();
    const connection = await openFirst(new FakeUsb(device));
    device.transferInErrors.push(new Error('transferIn error: Cancelled'), new Error('transferIn error: LIBUSB_TRANSFER_TIMED_OUT'));
    const pending = readMessage(connection);
    await vi.waitFor(() => expect(device.pendingReads).toBe(1));
    device.sendMessage(MT.Success, new Uint8Array());
    expect((await pending).type).toBe(MT.Success);
    expect(device.calls.filter((c) => c.startsWith('transferIn'))).toHaveLength(3);
  });

  it('close releases interface 0 and closes the device, once, and fails pending reads', async () => {
    const device = new FakeUsbDevice();
    const fake = new FakeUsb(device);
    const connection = await openFirst(fake);
    const onDisconnect = vi.fn();
    connection.onDisconnect(onDisconnect);
    const pending = connection.read();
    pending.catch(() => undefined); // rejection asserted below, after other awaits
    await vi.waitFor(() => expect(device.pendingReads).toBe(1));
    await connection.close();
    await connection.close();
    await expect(pending).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(device.calls.slice(-2)).toEqual(['releaseInterface(0)', 'close']);
    expect(device.calls.filter((c) => c === 'close')).toHaveLength(1);
    expect(device.opened).toBe(false);
    expect(fake.listenerCount).toBe(0);
    expect(onDisconnect).not.toHaveBeenCalled();
    // The device can be opened again.
    await openFirst(fake);
  });

  it('close after an unplug swallows the platform errors', async () => {
    const device = new FakeUsbDevice();
    const fake = new FakeUsb(device);
    const connection = await openFirst(fake);
    fake.unplug(device);
    await expect(connection.close()).resolves.toBeUndefined();
  });
});

describe('usb() (Node) drives the same WebUSB code', () => {
  it('is named "usb", enumerates and round-trips through an injected WebUSB object', async () => {
    const device = new FakeUsbDevice({ serialNumber: 'NODE' });
    const transport = usb({ usb: new FakeUsb(device) });
    expect(transport.name).toBe('usb');
    expect(await transport.request!()).toMatchObject({ path: 'NODE' });
    const connection = await transport.open({ path: 'NODE' });
    opened.push(connection);
    await send(connection, MT.Ping, ping('node'));
    expect((await readMessage(connection)).payload).toEqual(ping('node'));
  });

  it('request() without a device is DeviceDisconnected and prefers firmware over bootloader', async () => {
    await expect(usb({ usb: new FakeUsb() }).request!()).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    const fake = new FakeUsb(new FakeUsbDevice({ productId: 0x53c0, serialNumber: 'BL' }), new FakeUsbDevice({ serialNumber: 'FW' }));
    expect((await usb({ usb: fake }).request!()).path).toBe('FW');
  });

  it("asks to install the 'usb' package when it cannot be imported", async () => {
    vi.resetModules();
    vi.doMock('usb', () => {
      throw new Error("Cannot find package 'usb'");
    });
    try {
      const { usb: fresh } = await import('../src/transport/usb-node.js');
      const error = await fresh().enumerate().catch((e) => e);
      expect(error).toMatchObject({ name: 'TrezorError', code: 'NotSupported' });
      expect(error.message).toMatch(/install the 'usb' package/);
    } finally {
      vi.doUnmock('usb');
      vi.resetModules();
    }
  });
});
