/**
 * trezor-direct/node — the transports that need Node: USB through the optional `usb` package
 * and UDP to the official emulator. Kept out of the core entry so browser bundles never pull
 * in `node:dgram` or a native module.
 *
 * @example
 * import { connect } from 'trezor-direct';
 * import { udp } from 'trezor-direct/node';
 * const trezor = await connect({ transport: udp({ port: 21324 }) });
 */
export { udp, pingUdp, type PingUdpOptions, type UdpOptions } from './transport/udp.js';
export { usb, type UsbOptions } from './transport/usb-node.js';
