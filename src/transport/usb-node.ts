/**
 * USB in Node, through the `usb` npm package's WebUSB object. That object implements the
 * browser API, so this file only loads it and hands it to the same webUsb() code the browser
 * uses: one implementation of the claim/transfer/unplug logic, tested once.
 *
 * `usb` is an optional peer dependency (a native module): it is imported on first use, so
 * installing trezor-direct never compiles anything and browser bundles never see it.
 */
import { TrezorError } from '../errors.js';
import type { Transport } from './types.js';
import { webUsb, type WebUsbLike } from './webusb.js';

export interface UsbOptions {
  /** A WebUSB-like object to use instead of loading the `usb` package (tests, custom setups). */
  usb?: WebUsbLike | undefined;
}

async function loadUsbPackage(): Promise<WebUsbLike> {
  let mod: typeof import('usb');
  try {
    mod = await import('usb');
  } catch (error) {
    throw new TrezorError('NotSupported', "USB in Node needs the optional 'usb' package: install the 'usb' package (npm install usb)", {
      cause: error,
    });
  }
  // allowAllDevices: Node has no permission prompt; webUsb() filters Trezor ids itself.
  return new mod.WebUSB({ allowAllDevices: true });
}

/**
 * Trezor over USB in Node (needs the `usb` package). `request()` picks the first Trezor found.
 * @example const trezor = await connect({ transport: usb() })
 */
export function usb(options: UsbOptions = {}): Transport {
  let inner: Promise<Transport> | undefined;
  const load = () =>
    (inner ??= (options.usb ? Promise.resolve(options.usb) : loadUsbPackage()).then(
      (api) => webUsb({ usb: api }),
      (error: unknown) => {
        inner = undefined; // try the import again on the next call (the user may install it)
        throw error;
      },
    ));
  return {
    name: 'usb',
    async enumerate(signal) {
      return (await load()).enumerate(signal);
    },
    async request(signal) {
      // There is no chooser in Node: take the first device, firmware before bootloader.
      const devices = await (await load()).enumerate(signal);
      const first = devices.find((d) => !d.bootloader) ?? devices[0];
      if (!first) throw new TrezorError('DeviceDisconnected', 'No Trezor is connected over USB');
      return first;
    },
    async open(device, signal) {
      return (await load()).open(device, signal);
    },
  };
}
