/**
 * The browser-safe transports. The Node ones (usb(), udp()) live behind `trezor-direct/node`
 * so that `node:dgram` and the native `usb` module never reach a browser bundle.
 */
export type { DeviceDescriptor, Transport, TransportConnection } from './types.js';
export { webUsb, type WebUsbOptions, type WebUsbLike, type WebUsbDeviceLike } from './webusb.js';
export { webHid, type WebHidOptions, type WebHidLike, type WebHidDeviceLike } from './webhid.js';
export { bridge, type BridgeOptions } from './bridge.js';
export { memoryTransport, type MemoryTransportOptions, type MemoryDeviceEnd } from './memory.js';
