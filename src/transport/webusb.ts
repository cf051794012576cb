/**
 * WebUSB transport: moves 64-byte reports over interface 0 of a Trezor (vendor class 0xFF),
 * endpoint 1 in both directions. The same code drives the `usb` npm package in Node (see
 * usb-node.ts), because that package exposes the WebUSB API too.
 *
 * Sequence (shared PROTOCOL.md §4.1; trezor-suite packages/transport/src/api/usb.ts):
 *   requestDevice({ filters }) → open() → selectConfiguration(1) → claimInterface(0)
 *   → transferOut(1, report64) / transferIn(1, 64) … → releaseInterface(0) → close()
 *
 * Why reads are pumped instead of calling transferIn per read: a transferIn that loses a race
 * against an AbortSignal keeps running and would swallow the next report. So at most one
 * transfer is in flight, it starts only while somebody waits, and whatever it returns goes to
 * the oldest waiting reader (or is kept for the next one). An unplug fails every pending and
 * future read at once, even if the platform never settles the transfer.
 */
import { TrezorError, isTrezorError, protocolError } from '../errors.js';
import { USB_ID_BOOTLOADER, USB_ID_FIRMWARE } from '../models.js';
import { withSignal } from '../abort.js';
import { ReportQueue, chooserError, disconnected, errorName, errorText, notifyAll } from './abort.js';
import type { DeviceDescriptor, Transport, TransportConnection } from './types.js';

/** Vendor id of Trezor WebUSB devices (pid.codes); the ids of every model are in models.ts. */
export const TREZOR_USB_VENDOR_ID = USB_ID_FIRMWARE.vendorId;
/** Product id of Trezor firmware (all models; the One from 1.7.0) over WebUSB. */
export const TREZOR_USB_FIRMWARE_PRODUCT_ID = USB_ID_FIRMWARE.productId;
/** Product id of Trezor bootloaders (all models) over WebUSB. */
export const TREZOR_USB_BOOTLOADER_PRODUCT_ID = USB_ID_BOOTLOADER.productId;

const INTERFACE = 0; // wire interface; 1 is the debug link in debug builds
const ENDPOINT = 1; // OUT 0x01 / IN 0x81
const REPORT_SIZE = 64;
/** Stalls and empty packets in a row before a read gives up. */
const MAX_UNPRODUCTIVE = 16;

/** WebUSB ids are shared by every model: the model is only known from Features after Initialize. */
const FILTERS: readonly { vendorId: number; productId: number }[] = [USB_ID_FIRMWARE, USB_ID_BOOTLOADER];

/** The parts of a WebUSB `USBDevice` this transport uses (browser, `usb` package, test fakes). */
export interface WebUsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null | undefined;
  readonly productName?: string | null | undefined;
  readonly opened: boolean;
  readonly configuration?:
    | { readonly configurationValue: number; readonly interfaces: readonly { readonly interfaceNumber: number; readonly claimed: boolean }[] }
    | null
    | undefined;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  clearHalt?(direction: 'in' | 'out', endpointNumber: number): Promise<void>;
  transferIn(endpointNumber: number, length: number): Promise<{ status?: string | undefined; data?: DataView | undefined }>;
  transferOut(endpointNumber: number, data: Uint8Array<ArrayBuffer>): Promise<{ status?: string | undefined; bytesWritten: number }>;
}

/** The parts of `navigator.usb` this transport uses. */
export interface WebUsbLike {
  getDevices(): Promise<WebUsbDeviceLike[]>;
  requestDevice(options: { filters: { vendorId?: number; productId?: number }[] }): Promise<WebUsbDeviceLike>;
  addEventListener(type: 'disconnect', listener: (event: { readonly device: WebUsbDeviceLike }) => void): void;
  removeEventListener(type: 'disconnect', listener: (event: { readonly device: WebUsbDeviceLike }) => void): void;
}

export interface WebUsbOptions {
  /** The WebUSB object (default `navigator.usb`). Inject a fake or the `usb` package's WebUSB here. */
  usb?: WebUsbLike | undefined;
}

/**
 * Trezor over WebUSB (Chromium-based browsers). `request()` needs a click.
 * @example const transport = webUsb(); button.onclick = () => connect({ transport })
 */
export function webUsb({ usb = (globalThis as { navigator?: { usb?: WebUsbLike } }).navigator?.usb }: WebUsbOptions = {}): Transport {
  const api = (): WebUsbLike => {
    if (!usb) {
      throw new TrezorError(
        'NotSupported',
        'WebUSB is unavailable in this browser: use a Chromium-based browser (Chrome, Edge, Brave, Opera) over https or localhost',
      );
    }
    return usb;
  };

  async function list(signal?: AbortSignal): Promise<{ descriptor: DeviceDescriptor; device: WebUsbDeviceLike }[]> {
    const usbApi = api();
    let devices: WebUsbDeviceLike[];
    try {
      devices = await withSignal(usbApi.getDevices(), signal);
    } catch (error) {
      if (signal?.aborted || isTrezorError(error)) throw error;
      // e.g. the usb package on a machine without a USB subsystem (containers)
      throw new TrezorError('NotSupported', `Cannot list USB devices: ${errorText(error)}`, { cause: error });
    }
    return describe(devices.filter(isTrezor));
  }

  return {
    name: 'webusb',
    async enumerate(signal) {
      return (await list(signal)).map((entry) => entry.descriptor);
    },
    async request(signal) {
      let picked: WebUsbDeviceLike;
      try {
        picked = await withSignal(api().requestDevice({ filters: FILTERS.map((f) => ({ ...f })) }), signal);
      } catch (error) {
        throw chooserError(error, signal);
      }
      const entries = await list(signal);
      const hit = entries.find((e) => e.device === picked) ?? entries.find((e) => sameDevice(e.device, picked));
      return hit?.descriptor ?? describe([picked])[0]!.descriptor;
    },
    async open(descriptor, signal) {
      const hit = (await list(signal)).find((e) => e.descriptor.path === descriptor.path);
      if (!hit) throw new TrezorError('DeviceDisconnected', `No Trezor at USB path ${descriptor.path}: it was unplugged or permission was revoked`);
      return openDevice(api(), hit.device, signal);
    },
  };
}

function isTrezor(device: WebUsbDeviceLike): boolean {
  return FILTERS.some((f) => f.vendorId === device.vendorId && f.productId === device.productId);
}

function readString(get: () => string | null | undefined): string | undefined {
  try {
    return get() || undefined;
  } catch {
    return undefined; // the `usb` package may throw when it cannot read a string descriptor
  }
}

/**
 * Paths are USB serial numbers. Bootloaders all report 24 × '0', and some stacks give no
 * serial at all, so a repeated or missing serial gets the device's index appended.
 */
function describe(devices: WebUsbDeviceLike[]): { descriptor: DeviceDescriptor; device: WebUsbDeviceLike }[] {
  const seen = new Set<string>();
  return devices.map((device, index) => {
    const serial = readString(() => device.serialNumber);
    let path = serial ?? `usb-${index}`;
    if (seen.has(path)) path = `${path}#${index}`;
    seen.add(path);
    const descriptor: DeviceDescriptor = { path, vendorId: device.vendorId, productId: device.productId };
    const product = readString(() => device.productName);
    if (product) descriptor.product = product;
    if (device.productId === TREZOR_USB_BOOTLOADER_PRODUCT_ID) descriptor.bootloader = true;
    return { descriptor, device };
  });
}

/**
 * Browsers hand out one object per device, so identity works there. The `usb` package makes
 * a new object on every getDevices(), so fall back to its `handle`, then to ids + serial.
 */
function sameDevice(a: WebUsbDeviceLike, b: WebUsbDeviceLike): boolean {
  if (a === b) return true;
  const ha = (a as { handle?: unknown }).handle;
  const hb = (b as { handle?: unknown }).handle;
  if (typeof ha === 'string' && typeof hb === 'string') return ha === hb;
  const sa = readString(() => a.serialNumber);
  return a.vendorId === b.vendorId && a.productId === b.productId && sa !== undefined && sa === readString(() => b.serialNumber);
}

const DISCONNECTED_TEXT = /disconnected|no such device|NO_DEVICE|ENODEV|device (is )?gone/i;

/** open()/selectConfiguration()/claimInterface() failures. */
function openError(error: unknown): TrezorError {
  if (isTrezorError(error)) return error;
  const name = errorName(error);
  const text = errorText(error);
  if (name === 'NotFoundError' || DISCONNECTED_TEXT.test(text)) return new TrezorError('DeviceDisconnected', `The device was unplugged while opening it: ${text}`, { cause: error });
  if (
    name === 'NetworkError' ||
    name === 'SecurityError' ||
    name === 'InvalidStateError' ||
    /unable to claim|access denied|busy|LIBUSB_ERROR_ACCESS|permission denied/i.test(text)
  ) {
    return new TrezorError(
      'DeviceBusy',
      `The Trezor is in use by another tab, application or the Trezor Bridge (on Linux, missing udev rules look the same): ${text}`,
      { cause: error },
    );
  }
  return new TrezorError('ProtocolError', `Could not open the USB device: ${text}`, { cause: error });
}

/** transferIn/transferOut failures. A failed interrupt transfer means the link is gone. */
function transferError(error: unknown): TrezorError {
  if (isTrezorError(error)) return error;
  const name = errorName(error);
  const text = errorText(error);
  if (name === 'NotFoundError' || name === 'NetworkError' || DISCONNECTED_TEXT.test(text)) {
    return new TrezorError('DeviceDisconnected', `The USB transfer failed, the device was probably unplugged: ${text}`, { cause: error });
  }
  return new TrezorError('ProtocolError', `USB transfer failed: ${text}`, { cause: error });
}

/**
 * The `usb` package gives every transfer a timeout (1 s by default) and reports its expiry as
 * an error ("…TIMED_OUT" in v2, "…Cancelled" in v3). For a reader that is just "no data yet".
 */
function isTransferTimeout(error: unknown): boolean {
  return errorName(error) !== 'AbortError' && /TIMED_OUT|timed out|timeout|Cancelled/i.test(errorText(error));
}

/**
 * `device.configuration`, or undefined when it cannot be read. The `usb` package (v3) reads it
 * through the OS and throws instead of returning null when that fails.
 */
function activeConfiguration(device: WebUsbDeviceLike): WebUsbDeviceLike['configuration'] {
  try {
    return device.configuration;
  } catch {
    return undefined;
  }
}

async function openDevice(usb: WebUsbLike, device: WebUsbDeviceLike, signal?: AbortSignal): Promise<TransportConnection> {
  // Two connections in one page would both succeed (WebUSB claims are per page) and then
  // steal each other's reports, so a claim we already hold counts as busy.
  if (device.opened && activeConfiguration(device)?.interfaces.find((i) => i.interfaceNumber === INTERFACE)?.claimed) {
    throw new TrezorError('DeviceBusy', 'The Trezor is already open in this page: close the other connection first');
  }
  // The platform call still running when an abort wins; close only after it settles, since
  // Chrome refuses close() while open() is in progress.
  let current: Promise<unknown> = Promise.resolve();
  const step = async <T>(promise: Promise<T>): Promise<T> => {
    current = promise;
    try {
      return await withSignal(promise, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw openError(error);
    }
  };
  try {
    await step(device.open());
    if (activeConfiguration(device)?.configurationValue !== 1) await step(device.selectConfiguration(1));
    await step(device.claimInterface(INTERFACE));
  } catch (error) {
    current
      .catch(() => undefined)
      .then(() => device.close())
      .catch(() => undefined);
    throw error;
  }

  // Reports for readers; a transfer runs only while one waits (see the header).
  const queue = new ReportQueue();
  const listeners = new Set<() => void>();
  let failure: unknown; // set once: unplugged or closed; every read/write rejects with it
  let pumping = false;
  let unproductive = 0;
  let rejectGone: (error: unknown) => void = () => {};
  const gone = new Promise<never>((_, reject) => (rejectGone = reject));
  gone.catch(() => undefined);

  const fail = (error: unknown) => {
    if (failure !== undefined) return;
    failure = error;
    rejectGone(error);
    usb.removeEventListener('disconnect', onUsbDisconnect);
    queue.fail(error);
  };

  const unplugged = (error: TrezorError) => {
    if (failure !== undefined) return;
    fail(error);
    notifyAll(listeners);
  };

  function onUsbDisconnect(event: { readonly device: WebUsbDeviceLike }) {
    if (sameDevice(event.device, device)) unplugged(disconnected());
  }
  usb.addEventListener('disconnect', onUsbDisconnect);

  /** One transferIn; undefined when it brought nothing (timeout, empty packet, cleared stall). */
  async function transferReport(): Promise<Uint8Array | undefined> {
    let result: Awaited<ReturnType<WebUsbDeviceLike['transferIn']>>;
    try {
      result = await device.transferIn(ENDPOINT, REPORT_SIZE);
    } catch (error) {
      if (isTransferTimeout(error)) return undefined;
      throw transferError(error);
    }
    if (result.status === 'stall') {
      if (++unproductive > MAX_UNPRODUCTIVE) throw protocolError('USB endpoint 1 IN keeps stalling');
      await device.clearHalt?.('in', ENDPOINT).catch(() => undefined);
      return undefined;
    }
    if (result.status !== undefined && result.status !== 'ok') throw protocolError(`USB transfer status "${result.status}"`);
    const data = result.data;
    if (!data || data.byteLength === 0) {
      if (++unproductive > MAX_UNPRODUCTIVE) throw protocolError('USB endpoint 1 IN keeps returning empty packets');
      return undefined;
    }
    unproductive = 0;
    const report = new Uint8Array(REPORT_SIZE);
    report.set(new Uint8Array(data.buffer, data.byteOffset, Math.min(data.byteLength, REPORT_SIZE)));
    return report;
  }

  function pump(): void {
    if (pumping || failure !== undefined || !queue.waiting) return;
    pumping = true;
    transferReport().then(
      (report) => {
        pumping = false;
        if (report && failure === undefined) queue.push(report); // a reader that gave up leaves it queued
        pump();
      },
      (error: TrezorError) => {
        pumping = false;
        if (failure !== undefined) return; // closing cancelled the transfer
        if (error.code === 'DeviceDisconnected') unplugged(error);
        else {
          unproductive = 0;
          if (queue.waiting) queue.pushError(error); // the oldest waiting read fails, no later one
          pump();
        }
      },
    );
  }

  let closing: Promise<void> | undefined;

  return {
    read(signal) {
      const report = queue.shift(signal);
      pump();
      return report;
    },

    async write(report, signal) {
      if (failure !== undefined) throw failure;
      if (report.length !== REPORT_SIZE) {
        throw new TrezorError('InvalidParameters', `report: expected ${REPORT_SIZE} bytes, got ${report.length}`, { field: 'report' });
      }
      const data = new Uint8Array(REPORT_SIZE);
      data.set(report);
      let result: Awaited<ReturnType<WebUsbDeviceLike['transferOut']>>;
      try {
        result = await withSignal(Promise.race([device.transferOut(ENDPOINT, data), gone]), signal);
      } catch (error) {
        if (signal?.aborted || error === failure) throw error;
        const mapped = transferError(error);
        if (mapped.code === 'DeviceDisconnected') unplugged(mapped);
        throw mapped;
      }
      if (result.status === 'stall') {
        await device.clearHalt?.('out', ENDPOINT).catch(() => undefined);
        throw protocolError('USB endpoint 1 OUT stalled');
      }
      if (result.status !== undefined && result.status !== 'ok') throw protocolError(`USB transfer status "${result.status}"`);
      if (result.bytesWritten !== REPORT_SIZE) throw protocolError(`USB wrote ${result.bytesWritten} of ${REPORT_SIZE} bytes`);
    },

    close(signal) {
      closing ??= (async () => {
        fail(disconnected('The connection was closed'));
        // Releasing cancels a pending transferIn; errors (already unplugged…) do not matter.
        await device.releaseInterface(INTERFACE).catch(() => undefined);
        await device.close().catch(() => undefined);
      })();
      return withSignal(closing, signal);
    },

    onDisconnect(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
