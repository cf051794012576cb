/**
 * trezor-direct/testing: a software Trezor and the debug link client, for tests and demos —
 * in the browser and in Node. The transcript replayer checks a device against recordings of
 * the official emulators.
 *
 * @example
 * import { VirtualTrezor } from 'trezor-direct/testing';
 * const virtual = new VirtualTrezor({ mnemonic: 'all all all all all all all all all all all all', model: 'T2T1' });
 * const trezor = await connect({ transport: virtual.transport(), ui: { button: () => void virtual.debugLink().press('yes') } });
 */
export { VirtualTrezor, type VirtualTrezorOptions } from './virtual/device.js';
export type { RecordedChoices } from './virtual/recorded.js';
export { ManualClock, realClock, type Clock } from './virtual/clock.js';
export {
  DeviceFailure,
  fail,
  type ConfirmOptions,
  type DeviceContext,
  type FailureName,
  type Handler,
  type HandlerTable,
  type Model,
  type Reply,
} from './virtual/context.js';
export { DebugLink, encodePin, type DebugLinkConnectOptions, type DebugLinkOpenOptions, type LoadDeviceOptions } from './debuglink.js';
export {
  compareFields,
  parseTranscript,
  recordedChoices,
  replayTranscript,
  virtualEndpoint,
  type ReplayEndpoint,
  type ReplayMismatch,
  type ReplayOptions,
  type ReplayResult,
  type Transcript,
  type TranscriptEvent,
} from './replay.js';
