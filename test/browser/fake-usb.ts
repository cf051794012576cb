/**
 * A `navigator.usb` for Chromium pages whose one device is a VirtualTrezor listening on UDP in
 * the test process. The page's own WebUSB transport (src/transport/webusb.ts) runs unmodified:
 * its transferOut/transferIn calls cross into Node through two functions the test exposes
 * (page.exposeFunction), which move the 64-byte reports over UDP — the wire format of the
 * Trezor emulator, so the same bridge would drive the official emulator (udp-bridge.ts, shared
 * with the fake `navigator.hid` of fake-hid.ts).
 *
 *   page: webUsb() → fake USBDevice.transferOut ─exposeFunction→ Node ─UDP→ VirtualTrezor
 *   page: webUsb() ← fake USBDevice.transferIn  ←exposeFunction─ Node ←UDP─ VirtualTrezor
 */
import type { Page } from 'playwright-core';
import { bridgePageToUdp, type UdpBridge } from './udp-bridge.js';

export type { UdpBridge } from './udp-bridge.js';

/** Names of the functions exposed to the page. */
const OUT = '__fakeUsbTransferOut';
const IN = '__fakeUsbTransferIn';

/**
 * Runs in the page before its scripts (page.addInitScript). Self-contained: it is serialized.
 * `window.__fakeUsb` lets the test unplug and replug the device.
 */
export function installFakeUsb(names: { out: string; in: string }): void {
  type Listener = (event: { device: unknown }) => void;
  const PAIRED = 'fake-usb:paired';
  const listeners: Record<string, Set<Listener>> = { connect: new Set(), disconnect: new Set() };
  const w = window as unknown as Record<string, (arg?: string) => Promise<string | null>>;
  let plugged = true;
  let generation = 0; // bumps on release/close: pending transferIn calls end
  const gone = () => new DOMException('The device was disconnected.', 'NotFoundError');
  const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));

  const interfaces = [
    { interfaceNumber: 0, claimed: false },
    { interfaceNumber: 1, claimed: false },
  ];
  const device = {
    vendorId: 0x1209,
    productId: 0x53c1,
    serialNumber: 'VIRTUALUDP0001',
    productName: 'TREZOR (virtual, over UDP)',
    opened: false,
    configuration: null as null | { configurationValue: number; interfaces: typeof interfaces },
    async open() {
      if (!plugged) throw gone();
      device.opened = true;
    },
    async close() {
      generation++;
      device.opened = false;
      device.configuration = null;
      for (const i of interfaces) i.claimed = false;
    },
    async selectConfiguration(value: number) {
      if (!device.opened) throw new DOMException('The device must be opened first.', 'InvalidStateError');
      device.configuration = { configurationValue: value, interfaces };
    },
    async claimInterface(number: number) {
      const iface = interfaces.find((i) => i.interfaceNumber === number);
      if (!iface || !device.configuration) throw new DOMException('The interface was not found.', 'NotFoundError');
      iface.claimed = true;
    },
    async releaseInterface(number: number) {
      generation++;
      const iface = interfaces.find((i) => i.interfaceNumber === number);
      if (iface) iface.claimed = false;
    },
    async transferOut(endpoint: number, data: BufferSource) {
      if (!plugged) throw gone();
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer);
      if (endpoint !== 1 || bytes.length !== 64) throw new DOMException(`bad transferOut(${endpoint}, ${bytes.length} bytes)`, 'DataError');
      await w[names.out]!(toHex(bytes));
      return { status: 'ok', bytesWritten: bytes.length };
    },
    async transferIn(endpoint: number, length: number) {
      if (endpoint !== 1 || length !== 64) throw new DOMException(`bad transferIn(${endpoint}, ${length})`, 'DataError');
      const mine = generation;
      for (;;) {
        if (!plugged) throw gone();
        if (mine !== generation) throw new DOMException('The transfer was cancelled.', 'AbortError');
        const report = await w[names.in]!();
        if (report) return { status: 'ok', data: new DataView(fromHex(report).buffer) };
      }
    },
  };
  const usb = {
    async getDevices() {
      return plugged && localStorage.getItem(PAIRED) ? [device] : [];
    },
    async requestDevice(options: { filters: { vendorId?: number; productId?: number }[] }) {
      requests.push(JSON.stringify(options));
      const match = options.filters.some((f) => f.vendorId === device.vendorId && (f.productId === undefined || f.productId === device.productId));
      if (!plugged || !match) throw new DOMException('No device selected.', 'NotFoundError');
      localStorage.setItem(PAIRED, '1'); // the browser remembers the permission
      return device;
    },
    addEventListener(type: string, listener: Listener) {
      listeners[type]?.add(listener);
    },
    removeEventListener(type: string, listener: Listener) {
      listeners[type]?.delete(listener);
    },
  };
  const requests: string[] = [];
  Object.defineProperty(Navigator.prototype, 'usb', { configurable: true, get: () => usb });
  Object.assign(window, {
    __fakeUsb: {
      requests,
      unplug() {
        plugged = false;
        device.opened = false;
        for (const l of [...listeners.disconnect!]) l({ device });
      },
      replug() {
        plugged = true;
        for (const l of [...listeners.connect!]) l({ device });
      },
    },
  });
}

/**
 * Expose the two transfer functions on `page` and install the fake `navigator.usb` for every
 * document the page loads.
 */
export function bridgeWebUsbToUdp(page: Page, port: number, host = '127.0.0.1'): Promise<UdpBridge> {
  return bridgePageToUdp({ page, port, host, names: { out: OUT, in: IN }, install: installFakeUsb });
}
