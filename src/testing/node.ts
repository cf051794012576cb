/**
 * trezor-direct/testing/node — the Node-only half of the testing entry: VirtualTrezor's UDP
 * face, the official emulator's interface over `node:dgram` (for trezorctl, trezorlib, Trezor
 * Suite or our own udp() transport). `virtual.listenUdp()` loads this module by itself, through
 * an import bundlers do not follow, so that a browser bundle of trezor-direct/testing never
 * meets node:dgram. Import it yourself when a bundler flattens your Node program into one file
 * (then that lazy import has no file to load).
 *
 * @example
 * import { VirtualTrezor } from 'trezor-direct/testing';
 * import { listenUdp } from 'trezor-direct/testing/node';
 * const { port, debugPort } = await listenUdp(new VirtualTrezor({ autoConfirm: true }), { port: 0 });
 */
import type { VirtualTrezor } from './virtual/device.js';
import { serveUdp } from './virtual/udp.js';

export { serveUdp };

/**
 * Serve `virtual` on 127.0.0.1: wire on `port` (default 21324, 0 picks a free pair), debug link
 * on `port + 1`; the same as `virtual.listenUdp(options)`.
 * @example const { port } = await listenUdp(virtual, { port: 0 })
 */
export function listenUdp(virtual: VirtualTrezor, options?: { port?: number }): Promise<{ port: number; debugPort: number }> {
  return virtual._listenUdp(async () => serveUdp, options);
}
