/**
 * WebHID transport for the Trezor One on firmware older than 1.7.0 (and its old bootloader),
 * which enumerate as HID 0x534c:0x0001 instead of WebUSB. Newer devices never need it.
 *
 * The HID reports carry the same 64 bytes as a WebUSB packet. The report descriptor has no
 * numbered reports, so the report id is 0 and travels as a separate argument of
 * `sendReport(0, data)`, never inside `data`; incoming `inputreport` events likewise carry
 * the bare 64 bytes (shared PROTOCOL.md §4.2; trezor-firmware legacy/firmware/usb.c).
 *
 * The device also exposes a U2F interface (usage page 0xF1D0), which shows up as a separate
 * HIDDevice: only the collection on usage page 0xFF00 speaks this protocol.
 */
import { TrezorError, isTrezorError } from '../errors.js';
import { USB_ID_ONE_HID } from '../models.js';
import { withSignal } from '../abort.js';
import { ReportQueue, chooserError, disconnected, errorName, errorText, notifyAll } from './abort.js';
import type { DeviceDescriptor, Transport, TransportConnection } from './types.js';

/** HID vendor id of the Trezor One before firmware 1.7.0 (SatoshiLabs). */
export const TREZOR_HID_VENDOR_ID = USB_ID_ONE_HID.vendorId;
/** HID product id of the Trezor One before firmware 1.7.0. */
export const TREZOR_HID_PRODUCT_ID = USB_ID_ONE_HID.productId;
/** Usage page of the wire interface (0xFF01 is the debug link, 0xF1D0 is U2F). */
export const TREZOR_HID_USAGE_PAGE = 0xff00;

const REPORT_SIZE = 64;
const REPORT_ID = 0;

/** The parts of a WebHID `HIDDevice` this transport uses. */
export interface WebHidDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly productName?: string | undefined;
  readonly opened: boolean;
  readonly collections: readonly { readonly usagePage?: number | undefined }[];
  open(): Promise<void>;
  close(): Promise<void>;
  sendReport(reportId: number, data: Uint8Array<ArrayBuffer>): Promise<void>;
  addEventListener(type: 'inputreport', listener: (event: { readonly reportId: number; readonly data: DataView }) => void): void;
  removeEventListener(type: 'inputreport', listener: (event: { readonly reportId: number; readonly data: DataView }) => void): void;
}

/** The parts of `navigator.hid` this transport uses. */
export interface WebHidLike {
  getDevices(): Promise<WebHidDeviceLike[]>;
  requestDevice(options: { filters: { vendorId?: number; productId?: number; usagePage?: number }[] }): Promise<WebHidDeviceLike[]>;
  addEventListener(type: 'disconnect', listener: (event: { readonly device: WebHidDeviceLike }) => void): void;
  removeEventListener(type: 'disconnect', listener: (event: { readonly device: WebHidDeviceLike }) => void): void;
}

export interface WebHidOptions {
  /** The WebHID object (default `navigator.hid`). */
  hid?: WebHidLike | undefined;
}

function isTrezorWire(device: WebHidDeviceLike): boolean {
  return (
    device.vendorId === TREZOR_HID_VENDOR_ID &&
    device.productId === TREZOR_HID_PRODUCT_ID &&
    device.collections.some((c) => c.usagePage === TREZOR_HID_USAGE_PAGE)
  );
}

/**
 * Trezor One (firmware < 1.7.0) over WebHID (Chromium-based browsers). `request()` needs a click.
 * @example const transport = webHid(); button.onclick = () => connect({ transport })
 */
export function webHid({ hid = (globalThis as { navigator?: { hid?: WebHidLike } }).navigator?.hid }: WebHidOptions = {}): Transport {
  // HIDDevice objects carry no serial number; Chrome keeps one object per device while it
  // stays plugged in, so a per-transport counter gives stable paths.
  const ids = new WeakMap<WebHidDeviceLike, string>();
  let next = 0;

  const api = (): WebHidLike => {
    if (!hid) {
      throw new TrezorError(
        'NotSupported',
        'WebHID is unavailable in this browser: use a Chromium-based browser (Chrome, Edge, Brave, Opera) over https or localhost',
      );
    }
    return hid;
  };

  const describe = (device: WebHidDeviceLike): DeviceDescriptor => {
    let path = ids.get(device);
    if (!path) ids.set(device, (path = `hid-${next++}`));
    const descriptor: DeviceDescriptor = { path, vendorId: device.vendorId, productId: device.productId };
    if (device.productName) descriptor.product = device.productName;
    return descriptor;
  };

  async function list(signal?: AbortSignal): Promise<WebHidDeviceLike[]> {
    return (await withSignal(api().getDevices(), signal)).filter(isTrezorWire);
  }

  return {
    name: 'webhid',
    async enumerate(signal) {
      return (await list(signal)).map(describe);
    },
    async request(signal) {
      let picked: WebHidDeviceLike[];
      try {
        picked = await withSignal(
          api().requestDevice({
            filters: [{ vendorId: TREZOR_HID_VENDOR_ID, productId: TREZOR_HID_PRODUCT_ID, usagePage: TREZOR_HID_USAGE_PAGE }],
          }),
          signal,
        );
      } catch (error) {
        throw chooserError(error, signal);
      }
      // WebHID resolves with an empty list when the user closes the chooser.
      const device = picked.find(isTrezorWire);
      if (!device) throw new TrezorError('ActionCancelled', 'No device was selected in the chooser');
      return describe(device);
    },
    async open(descriptor, signal) {
      const device = (await list(signal)).find((d) => ids.get(d) === descriptor.path);
      if (!device) throw new TrezorError('DeviceDisconnected', `No Trezor at HID path ${descriptor.path}: it was unplugged or permission was revoked`);
      return openDevice(api(), device, signal);
    },
  };
}

async function openDevice(hid: WebHidLike, device: WebHidDeviceLike, signal?: AbortSignal): Promise<TransportConnection> {
  if (device.opened) throw new TrezorError('DeviceBusy', 'The Trezor is already open in this page: close the other connection first');
  const opening = device.open();
  try {
    await withSignal(opening, signal);
  } catch (error) {
    opening.then(() => device.close()).catch(() => undefined);
    if (signal?.aborted || isTrezorError(error)) throw error;
    if (errorName(error) === 'NotFoundError') throw new TrezorError('DeviceDisconnected', `The device was unplugged while opening it: ${errorText(error)}`, { cause: error });
    throw new TrezorError('DeviceBusy', `The Trezor could not be opened; another tab or application may hold it: ${errorText(error)}`, { cause: error });
  }

  const queue = new ReportQueue();
  const listeners = new Set<() => void>();
  let failure: TrezorError | undefined;
  let rejectGone: (error: unknown) => void = () => {};
  const gone = new Promise<never>((_, reject) => (rejectGone = reject));
  gone.catch(() => undefined);

  const onReport = (event: { readonly reportId: number; readonly data: DataView }) => {
    if (event.reportId !== REPORT_ID) return;
    const { data } = event;
    const report = new Uint8Array(REPORT_SIZE);
    report.set(new Uint8Array(data.buffer, data.byteOffset, Math.min(data.byteLength, REPORT_SIZE)));
    queue.push(report);
  };

  const stop = (error: TrezorError) => {
    failure = error;
    queue.fail(error);
    rejectGone(error);
    device.removeEventListener('inputreport', onReport);
    hid.removeEventListener('disconnect', onHidDisconnect);
  };

  const unplugged = (error: TrezorError) => {
    if (failure) return;
    stop(error);
    notifyAll(listeners);
  };

  function onHidDisconnect(event: { readonly device: WebHidDeviceLike }) {
    if (event.device === device) unplugged(disconnected());
  }

  device.addEventListener('inputreport', onReport);
  hid.addEventListener('disconnect', onHidDisconnect);
  let closing: Promise<void> | undefined;

  return {
    read: (signal) => queue.shift(signal),

    async write(report, signal) {
      if (failure) throw failure;
      if (report.length !== REPORT_SIZE) {
        throw new TrezorError('InvalidParameters', `report: expected ${REPORT_SIZE} bytes, got ${report.length}`, { field: 'report' });
      }
      const data = new Uint8Array(REPORT_SIZE);
      data.set(report);
      try {
        await withSignal(Promise.race([device.sendReport(REPORT_ID, data), gone]), signal);
      } catch (error) {
        if (signal?.aborted || error === failure) throw error;
        // Chrome reports a write to an unplugged device as NotAllowedError "Failed to write the report".
        const name = errorName(error);
        if (name === 'NotFoundError' || name === 'NotAllowedError' || /disconnected/i.test(errorText(error))) {
          const lost = new TrezorError('DeviceDisconnected', `Writing the HID report failed, the device was probably unplugged: ${errorText(error)}`, {
            cause: error,
          });
          unplugged(lost);
          throw lost;
        }
        throw new TrezorError('ProtocolError', `Writing the HID report failed: ${errorText(error)}`, { cause: error });
      }
    },

    close(signal) {
      closing ??= (async () => {
        if (!failure) stop(disconnected('The connection was closed'));
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
