/**
 * A fake `navigator.usb` for transport tests (Node or browser): devices that behave like
 * Chrome's USBDevice closely enough to exercise open/claim/transfer/unplug paths, and answer
 * host messages through a scripted responder built on the real v1 framing.
 *
 * Behaviours copied from Chrome (so tests pin what a real page sees):
 * - requestDevice() without a user gesture rejects with SecurityError; a closed chooser with
 *   NotFoundError "No device selected.".
 * - releaseInterface()/close() cancel a pending transferIn with AbortError.
 * - after an unplug, pending transfers reject with NotFoundError "The device was disconnected."
 *   (set `hangOnUnplug` to model stacks where they never settle).
 */
import { completedMessage, decodeReport, encodeReports, type DecodeState, type Message } from '../../src/protocol/v1.js';

/** Turns one host message into the device's replies. */
export type Responder = (message: Message) => Message[];

/** Message type ids used by the scripted responders (messages.proto). */
export const MT = { Initialize: 0, Ping: 1, Success: 2, Failure: 3, Cancel: 20, ButtonRequest: 26, ButtonAck: 27 } as const;

/** Failure{code: ActionCancelled (4)} payload. */
export const FAILURE_CANCELLED = /* @__PURE__ */ Uint8Array.of(0x08, 0x04);

/**
 * Ping → Success echoing the payload (Ping.message and Success.message are both field 1),
 * Cancel → Failure(ActionCancelled), anything else → Failure(UnexpectedMessage).
 */
export const pingResponder: Responder = (m) => {
  if (m.type === MT.Ping) return [{ type: MT.Success, payload: m.payload.slice() }];
  if (m.type === MT.Cancel) return [{ type: MT.Failure, payload: FAILURE_CANCELLED }];
  return [{ type: MT.Failure, payload: Uint8Array.of(0x08, 0x01) }];
};

function domError(name: string, message: string): Error {
  return new DOMException(message, name);
}

interface Pending {
  resolve(r: { status: 'ok'; data: DataView }): void;
  reject(e: unknown): void;
}

export interface FakeUsbDeviceOptions {
  productId?: number;
  vendorId?: number;
  serialNumber?: string | null;
  productName?: string;
  /** Current configuration value before open (Chrome: 1 for a Trezor; null = unconfigured). */
  configurationValue?: number | null;
  responder?: Responder;
}

export class FakeUsbDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string | null;
  readonly productName: string;
  opened = false;
  /** Every platform call, in order: "open", "selectConfiguration(1)", "transferIn(1,64)"… */
  readonly calls: string[] = [];
  /** Reports the host wrote (copies). */
  readonly written: Uint8Array[] = [];
  /** Messages the host wrote, reassembled. */
  readonly received: Message[] = [];
  /** Make open() / claimInterface() fail with this error. */
  openError: unknown;
  claimError: unknown;
  /** Make the next transferOut fail with this error. */
  transferOutError: unknown;
  /** Errors the next transferIn calls reject with, one per call (e.g. node `usb` timeouts). */
  readonly transferInErrors: unknown[] = [];
  /** When true, pending transfers never settle after an unplug (some OS stacks). */
  hangOnUnplug = false;
  responder: Responder;
  plugged = true;

  private configValue: number | null;
  private claimed = false;
  private readonly toHost: Uint8Array[] = [];
  private readonly pendingIn: Pending[] = [];
  private state: DecodeState | undefined;

  constructor(options: FakeUsbDeviceOptions = {}) {
    this.vendorId = options.vendorId ?? 0x1209;
    this.productId = options.productId ?? 0x53c1;
    this.serialNumber = options.serialNumber === undefined ? 'FAKE0001' : options.serialNumber;
    this.productName = options.productName ?? 'TREZOR';
    this.configValue = options.configurationValue === undefined ? 1 : options.configurationValue;
    this.responder = options.responder ?? pingResponder;
  }

  get configuration() {
    if (this.configValue === null) return null;
    return { configurationValue: this.configValue, interfaces: [{ interfaceNumber: 0, claimed: this.claimed }, { interfaceNumber: 1, claimed: false }] };
  }

  /** Number of transferIn calls still waiting. */
  get pendingReads(): number {
    return this.pendingIn.length;
  }

  async open(): Promise<void> {
    this.calls.push('open');
    if (!this.plugged) throw domError('NotFoundError', 'The device was disconnected.');
    if (this.openError) throw this.openError;
    this.opened = true;
  }

  async close(): Promise<void> {
    this.calls.push('close');
    this.cancelPending(domError('AbortError', 'The transfer was cancelled.'));
    this.claimed = false;
    this.opened = false;
  }

  async selectConfiguration(value: number): Promise<void> {
    this.calls.push(`selectConfiguration(${value})`);
    if (!this.opened) throw domError('InvalidStateError', 'The device must be opened first.');
    this.configValue = value;
  }

  async claimInterface(n: number): Promise<void> {
    this.calls.push(`claimInterface(${n})`);
    if (!this.opened) throw domError('InvalidStateError', 'The device must be opened first.');
    if (this.claimError) throw this.claimError;
    this.claimed = true;
  }

  async releaseInterface(n: number): Promise<void> {
    this.calls.push(`releaseInterface(${n})`);
    if (!this.claimed) throw domError('InvalidStateError', 'The interface is not claimed.');
    this.cancelPending(domError('AbortError', 'The transfer was cancelled.'));
    this.claimed = false;
  }

  async clearHalt(direction: 'in' | 'out', endpoint: number): Promise<void> {
    this.calls.push(`clearHalt(${direction},${endpoint})`);
  }

  transferIn(endpoint: number, length: number): Promise<{ status: 'ok'; data: DataView }> {
    this.calls.push(`transferIn(${endpoint},${length})`);
    if (!this.plugged) return Promise.reject(domError('NotFoundError', 'The device was disconnected.'));
    if (!this.claimed) return Promise.reject(domError('InvalidStateError', 'The interface is not claimed.'));
    if (this.transferInErrors.length) return Promise.reject(this.transferInErrors.shift());
    const report = this.toHost.shift();
    if (report) return Promise.resolve({ status: 'ok', data: new DataView(report.buffer) });
    return new Promise((resolve, reject) => this.pendingIn.push({ resolve, reject }));
  }

  async transferOut(endpoint: number, data: Uint8Array): Promise<{ status: 'ok'; bytesWritten: number }> {
    this.calls.push(`transferOut(${endpoint},${data.length})`);
    if (!this.plugged) throw domError('NotFoundError', 'The device was disconnected.');
    if (!this.claimed) throw domError('InvalidStateError', 'The interface is not claimed.');
    if (this.transferOutError) {
      const error = this.transferOutError;
      this.transferOutError = undefined;
      throw error;
    }
    const report = data.slice();
    this.written.push(report);
    this.state = decodeReport(this.state, report);
    const message = completedMessage(this.state);
    if (message) {
      this.state = undefined;
      this.received.push(message);
      for (const reply of this.responder(message)) this.sendMessage(reply.type, reply.payload);
    }
    return { status: 'ok', bytesWritten: data.length };
  }

  /** Device → host: one raw 64-byte report. */
  sendReport(report: Uint8Array): void {
    const copy = new Uint8Array(64);
    copy.set(report.subarray(0, 64));
    const waiter = this.pendingIn.shift();
    if (waiter) waiter.resolve({ status: 'ok', data: new DataView(copy.buffer) });
    else this.toHost.push(copy);
  }

  /** Device → host: a whole message, framed. */
  sendMessage(type: number, payload: Uint8Array): void {
    for (const report of encodeReports(type, payload)) this.sendReport(report);
  }

  /** Called by FakeUsb.unplug(). */
  unplug(): void {
    this.plugged = false;
    this.claimed = false;
    this.opened = false;
    if (!this.hangOnUnplug) this.cancelPending(domError('NotFoundError', 'The device was disconnected.'));
  }

  private cancelPending(error: unknown): void {
    for (const p of this.pendingIn.splice(0)) p.reject(error);
  }
}

type Listener = (event: { device: FakeUsbDevice }) => void;

/** A fake `navigator.usb`. */
export class FakeUsb {
  /** Plugged-in devices. */
  readonly devices: FakeUsbDevice[] = [];
  /** Devices the page has permission for (getDevices() lists only these). */
  readonly granted = new Set<FakeUsbDevice>();
  /** Arguments of every requestDevice() call. */
  readonly requests: { filters: { vendorId?: number; productId?: number }[] }[] = [];
  /** What the chooser does: pick the first match, refuse (no user gesture), or be closed. */
  chooser: 'pick' | 'no-gesture' | 'cancel' = 'pick';
  private readonly listeners = new Set<Listener>();

  constructor(...devices: FakeUsbDevice[]) {
    for (const d of devices) this.plug(d, true);
  }

  plug(device: FakeUsbDevice, granted = false): FakeUsbDevice {
    device.plugged = true;
    this.devices.push(device);
    if (granted) this.granted.add(device);
    return device;
  }

  unplug(device: FakeUsbDevice): void {
    const i = this.devices.indexOf(device);
    if (i >= 0) this.devices.splice(i, 1);
    device.unplug();
    for (const l of [...this.listeners]) l({ device });
  }

  async getDevices(): Promise<FakeUsbDevice[]> {
    return this.devices.filter((d) => this.granted.has(d));
  }

  async requestDevice(options: { filters: { vendorId?: number; productId?: number }[] }): Promise<FakeUsbDevice> {
    this.requests.push(options);
    if (this.chooser === 'no-gesture') throw domError('SecurityError', 'Failed to execute \'requestDevice\' on \'USB\': Must be handling a user gesture to show a permission request.');
    const match = this.devices.find((d) => options.filters.some((f) => (f.vendorId ?? d.vendorId) === d.vendorId && (f.productId ?? d.productId) === d.productId));
    if (this.chooser === 'cancel' || !match) throw domError('NotFoundError', 'Failed to execute \'requestDevice\' on \'USB\': No device selected.');
    this.granted.add(match);
    return match;
  }

  addEventListener(type: 'disconnect', listener: Listener): void {
    if (type === 'disconnect') this.listeners.add(listener);
  }

  removeEventListener(type: 'disconnect', listener: Listener): void {
    if (type === 'disconnect') this.listeners.delete(listener);
  }

  /** Disconnect listeners currently registered (a closed connection must leave none). */
  get listenerCount(): number {
    return this.listeners.size;
  }
}
