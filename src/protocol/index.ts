/** Pure wire formats: protocol v1 reports and the Bridge hex body. No I/O. */
export * from './v1.js';
export { encodeBridge, decodeBridge, toHex, fromHex } from './bridge.js';
