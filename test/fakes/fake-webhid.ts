/**
 * A fake `navigator.hid` for transport tests: a Trezor One on old (HID) firmware appears as
 * two HIDDevice objects, like in Chrome — the wire interface (usage page 0xFF00) and the U2F
 * interface (0xF1D0). The wire one answers host reports through a scripted responder.
 */
import { completedMessage, decodeReport, encodeReports, type DecodeState, type Message } from '../../src/protocol/v1.js';
import { pingResponder, type Responder } from './fake-webusb.js';

type ReportListener = (event: { reportId: number; data: DataView }) => void;

export class FakeHidDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly productName = 'TREZOR';
  readonly collections: { usagePage: number; usage: number }[];
  opened = false;
  /** Every sendReport call: report id and a copy of the data. */
  readonly sent: { reportId: number; data: Uint8Array }[] = [];
  readonly received: Message[] = [];
  readonly calls: string[] = [];
  openError: unknown;
  sendError: unknown;
  responder: Responder;
  private readonly listeners = new Set<ReportListener>();
  private state: DecodeState | undefined;

  constructor(options: { usagePage?: number; vendorId?: number; productId?: number; responder?: Responder } = {}) {
    this.vendorId = options.vendorId ?? 0x534c;
    this.productId = options.productId ?? 0x0001;
    this.collections = [{ usagePage: options.usagePage ?? 0xff00, usage: 1 }];
    this.responder = options.responder ?? pingResponder;
  }

  async open(): Promise<void> {
    this.calls.push('open');
    if (this.openError) throw this.openError;
    if (this.opened) throw new DOMException('The device is already open.', 'InvalidStateError');
    this.opened = true;
  }

  async close(): Promise<void> {
    this.calls.push('close');
    this.opened = false;
  }

  async sendReport(reportId: number, data: Uint8Array): Promise<void> {
    this.calls.push(`sendReport(${reportId},${data.length})`);
    if (!this.opened) throw new DOMException('The device must be opened first.', 'InvalidStateError');
    if (this.sendError) {
      const error = this.sendError;
      this.sendError = undefined;
      throw error;
    }
    const copy = data.slice();
    this.sent.push({ reportId, data: copy });
    this.state = decodeReport(this.state, copy);
    const message = completedMessage(this.state);
    if (message) {
      this.state = undefined;
      this.received.push(message);
      // Chrome delivers input reports as events on a later task.
      const replies = this.responder(message);
      setTimeout(() => {
        for (const reply of replies) this.sendMessage(reply.type, reply.payload);
      }, 0);
    }
  }

  /** Device → host: one input report event (64 bytes, report id 0, as Chrome delivers it). */
  inputReport(report: Uint8Array, reportId = 0): void {
    if (!this.opened) return;
    const buffer = new ArrayBuffer(64);
    new Uint8Array(buffer).set(report.subarray(0, 64));
    for (const l of [...this.listeners]) l({ reportId, data: new DataView(buffer) });
  }

  sendMessage(type: number, payload: Uint8Array): void {
    for (const report of encodeReports(type, payload)) this.inputReport(report);
  }

  addEventListener(type: 'inputreport', listener: ReportListener): void {
    if (type === 'inputreport') this.listeners.add(listener);
  }

  removeEventListener(type: 'inputreport', listener: ReportListener): void {
    if (type === 'inputreport') this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

type ConnectionListener = (event: { device: FakeHidDevice }) => void;

/** A fake `navigator.hid`. */
export class FakeHid {
  readonly devices: FakeHidDevice[] = [];
  readonly granted = new Set<FakeHidDevice>();
  readonly requests: { filters: { vendorId?: number; productId?: number; usagePage?: number }[] }[] = [];
  chooser: 'pick' | 'no-gesture' | 'cancel' = 'pick';
  private readonly listeners = new Set<ConnectionListener>();

  constructor(...devices: FakeHidDevice[]) {
    for (const d of devices) {
      this.devices.push(d);
      this.granted.add(d);
    }
  }

  /** A Trezor One on HID firmware: the wire collection and the U2F collection. */
  static trezorOne(): { hid: FakeHid; wire: FakeHidDevice; u2f: FakeHidDevice } {
    const u2f = new FakeHidDevice({ usagePage: 0xf1d0 });
    const wire = new FakeHidDevice({ usagePage: 0xff00 });
    return { hid: new FakeHid(u2f, wire), wire, u2f };
  }

  async getDevices(): Promise<FakeHidDevice[]> {
    return this.devices.filter((d) => this.granted.has(d));
  }

  async requestDevice(options: { filters: { vendorId?: number; productId?: number; usagePage?: number }[] }): Promise<FakeHidDevice[]> {
    this.requests.push(options);
    if (this.chooser === 'no-gesture') {
      throw new DOMException("Failed to execute 'requestDevice' on 'HID': Must be handling a user gesture to show a permission request.", 'SecurityError');
    }
    if (this.chooser === 'cancel') return []; // WebHID resolves with nothing when the chooser is closed
    const picked = this.devices.filter((d) =>
      options.filters.some(
        (f) =>
          (f.vendorId ?? d.vendorId) === d.vendorId &&
          (f.productId ?? d.productId) === d.productId &&
          (f.usagePage === undefined || d.collections.some((c) => c.usagePage === f.usagePage)),
      ),
    );
    for (const d of picked) this.granted.add(d);
    return picked;
  }

  unplug(device: FakeHidDevice): void {
    const i = this.devices.indexOf(device);
    if (i >= 0) this.devices.splice(i, 1);
    device.opened = false;
    for (const l of [...this.listeners]) l({ device });
  }

  addEventListener(type: 'disconnect', listener: ConnectionListener): void {
    if (type === 'disconnect') this.listeners.add(listener);
  }

  removeEventListener(type: 'disconnect', listener: ConnectionListener): void {
    if (type === 'disconnect') this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
