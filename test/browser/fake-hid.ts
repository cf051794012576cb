/**
 * A `navigator.hid` for Chromium pages whose Trezor One on HID firmware (< 1.7.0,
 * 0x534c:0x0001) is a VirtualTrezor listening on UDP in the test process. The page's own
 * WebHID transport (src/transport/webhid.ts) runs unmodified: `sendReport(0, 64 bytes)` crosses
 * into Node and goes out as one UDP datagram; each datagram coming back is dispatched to the
 * page as an `inputreport` event (report id 0, a DataView of the 64 bytes), as Chrome delivers
 * them (shared PROTOCOL.md §4.2). The Node end is udp-bridge.ts, shared with fake-usb.ts.
 *
 *   page: webHid() → fake HIDDevice.sendReport ─exposeFunction→ Node ─UDP→ VirtualTrezor
 *   page: webHid() ← 'inputreport' event ← pump ←exposeFunction─ Node ←UDP─ VirtualTrezor
 *
 * Like in Chrome, the one physical device shows up as one HIDDevice per HID interface: the U2F
 * interface (usage page 0xF1D0) listed first, then the wire interface (0xFF00). The chooser
 * hands back both; the transport must pick the wire one and never touch U2F (`calls` records
 * what the page did to each).
 *
 * The same page also gets a `navigator.usb` that finds no device, as a browser with WebUSB
 * does when the only Trezor plugged in runs HID firmware.
 */
import type { Page } from 'playwright-core';
import { bridgePageToUdp, type BridgeNames, type UdpBridge } from './udp-bridge.js';

const OUT = '__fakeHidSendReport';
const IN = '__fakeHidNextReport';

/** What the test reads back from the page (`window.__fakeHid`). */
export interface FakeHidState {
  /** requestDevice options of the WebHID chooser, as JSON. */
  requests: string[];
  /** requestDevice options of the (empty) WebUSB chooser, as JSON. */
  usbRequests: string[];
  /** "wire open", "u2f sendReport", … in order. */
  calls: string[];
  /** Reports sent on the wire interface, and those delivered to the page as inputreport events. */
  reportsOut: number;
  reportsIn: number;
}

/**
 * Runs in the page before its scripts (page.addInitScript). Self-contained: it is serialized.
 * `window.__fakeHid` lets the test read what happened and unplug / replug the device.
 */
export function installFakeHid(names: BridgeNames): void {
  const w = window as unknown as Record<string, (arg?: string) => Promise<string | null>>;
  const PAIRED = 'fake-hid:paired';
  const state = { requests: [] as string[], usbRequests: [] as string[], calls: [] as string[], reportsOut: 0, reportsIn: 0 };
  const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
  const withFields = <T extends Event>(event: T, fields: Record<string, unknown>): T => {
    for (const [key, value] of Object.entries(fields)) Object.defineProperty(event, key, { value });
    return event;
  };
  let plugged = true;

  class FakeHidDevice extends EventTarget {
    readonly vendorId = 0x534c;
    readonly productId = 0x0001;
    readonly productName = 'TREZOR';
    opened = false;
    /** Bumps on close and unplug: the report pump of the previous opening stops. */
    generation = 0;
    readonly collections: readonly {
      usagePage: number;
      usage: number;
      type: number;
      children: [];
      inputReports: { reportId: number }[];
      outputReports: { reportId: number }[];
      featureReports: [];
    }[];

    constructor(
      readonly role: 'wire' | 'u2f',
      usagePage: number,
    ) {
      super();
      // One application collection, unnumbered reports (report id 0) both ways.
      this.collections = [{ usagePage, usage: 1, type: 1, children: [], inputReports: [{ reportId: 0 }], outputReports: [{ reportId: 0 }], featureReports: [] }];
    }

    async open() {
      state.calls.push(`${this.role} open`);
      if (!plugged || !devices.includes(this)) throw new DOMException('Failed to open the device.', 'NotFoundError');
      if (this.opened) throw new DOMException('The device is already open.', 'InvalidStateError');
      this.opened = true;
      if (this.role === 'wire') void this.pump(++this.generation);
    }

    async close() {
      state.calls.push(`${this.role} close`);
      this.opened = false;
      this.generation++;
    }

    async sendReport(reportId: number, data: BufferSource) {
      state.calls.push(`${this.role} sendReport`);
      if (!plugged || !devices.includes(this)) throw new DOMException('Failed to write the report.', 'NotAllowedError');
      if (!this.opened) throw new DOMException('The device must be opened first.', 'InvalidStateError');
      const bytes = data instanceof Uint8Array ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      // The descriptor has no report ids: id 0, and exactly one 64-byte report without it.
      if (reportId !== 0 || bytes.length !== 64) throw new DOMException(`bad sendReport(${reportId}, ${bytes.length} bytes)`, 'DataError');
      if (this.role !== 'wire') return; // U2F traffic would go nowhere useful; `calls` shows it
      state.reportsOut++;
      await w[names.out]!(toHex(bytes));
    }

    /** While open, every datagram of the device becomes one inputreport event on this object. */
    private async pump(mine: number) {
      while (this.opened && mine === this.generation) {
        let report: string | null;
        try {
          report = await w[names.in]!();
        } catch {
          return; // the page is going away
        }
        // A report for a closed device is lost, as in Chrome.
        if (!report || !this.opened || mine !== this.generation) continue;
        const buffer = new ArrayBuffer(64);
        new Uint8Array(buffer).set(fromHex(report).subarray(0, 64));
        state.reportsIn++;
        this.dispatchEvent(withFields(new Event('inputreport'), { device: this, reportId: 0, data: new DataView(buffer) }));
      }
    }
  }

  // Chrome gives a device that comes back new HIDDevice objects.
  const plug = () => [new FakeHidDevice('u2f', 0xf1d0), new FakeHidDevice('wire', 0xff00)];
  let devices = plug();

  const hid = Object.assign(new EventTarget(), {
    async getDevices() {
      return plugged && localStorage.getItem(PAIRED) ? [...devices] : [];
    },
    async requestDevice(options: { filters: { vendorId?: number; productId?: number; usagePage?: number }[] }) {
      state.requests.push(JSON.stringify(options));
      if (!navigator.userActivation.isActive) {
        throw new DOMException("Failed to execute 'requestDevice' on 'HID': Must be handling a user gesture to show a permission request.", 'SecurityError');
      }
      const matches = (d: FakeHidDevice) =>
        options.filters.some(
          (f) =>
            (f.vendorId === undefined || f.vendorId === d.vendorId) &&
            (f.productId === undefined || f.productId === d.productId) &&
            (f.usagePage === undefined || d.collections.some((c) => c.usagePage === f.usagePage)),
        );
      // The chooser lists the physical device when one of its interfaces matches; picking it
      // hands back every interface. Closing an empty chooser resolves with no device.
      if (!plugged || !devices.some(matches)) return [];
      localStorage.setItem(PAIRED, '1'); // the browser remembers the permission
      return [...devices];
    },
  });

  // WebUSB is there, but no Trezor on HID firmware is a WebUSB device: the chooser stays empty.
  const usb = Object.assign(new EventTarget(), {
    async getDevices() {
      return [];
    },
    async requestDevice(options: unknown) {
      state.usbRequests.push(JSON.stringify(options));
      throw new DOMException('No device selected.', 'NotFoundError');
    },
  });

  Object.defineProperty(Navigator.prototype, 'hid', { configurable: true, get: () => hid });
  Object.defineProperty(Navigator.prototype, 'usb', { configurable: true, get: () => usb });
  Object.assign(window, {
    __fakeHid: {
      state,
      unplug() {
        plugged = false;
        const gone = devices;
        devices = [];
        for (const device of gone) {
          device.opened = false;
          device.generation++;
          hid.dispatchEvent(withFields(new Event('disconnect'), { device }));
        }
      },
      replug() {
        plugged = true;
        devices = plug();
        for (const device of devices) hid.dispatchEvent(withFields(new Event('connect'), { device }));
      },
    },
  });
}

/**
 * Expose the report functions on `page` and install the fake `navigator.hid` (and the empty
 * `navigator.usb`) for every document the page loads.
 */
export function bridgeWebHidToUdp(page: Page, port: number, host = '127.0.0.1'): Promise<UdpBridge> {
  return bridgePageToUdp({ page, port, host, names: { out: OUT, in: IN }, install: installFakeHid });
}

/** The fake's record of what the page did. */
export function fakeHidState(page: Page): Promise<FakeHidState> {
  return page.evaluate(() => (window as unknown as { __fakeHid: { state: FakeHidState } }).__fakeHid.state);
}

export async function unplugHid(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { __fakeHid: { unplug(): void } }).__fakeHid.unplug());
}

export async function replugHid(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { __fakeHid: { replug(): void } }).__fakeHid.replug());
}
