/** The session layer: connect() and the Trezor call loop. */
export { connect, type ConnectOptions } from './connect.js';
export { Trezor, expectType, type CallFn, type CallOptions, type Features } from './trezor.js';
export { failureToError } from './failure.js';
export type * from './ui.js';
