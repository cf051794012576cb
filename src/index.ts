/**
 * trezor-direct — talk to a Trezor from a web page or Node, with no popup and no remote code.
 *
 * This core entry holds what every app needs: `connect()`, the `Trezor` session, the
 * browser-safe transports and the errors. Coins live in their own entries
 * (`trezor-direct/bitcoin`, `trezor-direct/ethereum`), Node transports in `trezor-direct/node`,
 * the virtual device in `trezor-direct/testing`. Nothing here has side effects on import.
 *
 * @example
 * import { connect, webUsb } from 'trezor-direct';
 * const trezor = await connect({ transport: webUsb(), ui: { button: () => showHint() } });
 * console.log(trezor.features.label);
 */
export { connect, Trezor, expectType, failureToError } from './session/index.js';
export type {
  ConnectOptions,
  CallFn,
  CallOptions,
  Features,
  UiHandlers,
  PinRequest,
  PinRequestKind,
  PassphraseRequest,
  WordRequest,
  WordRequestKind,
  PassphraseAnswer,
  ButtonRequestInfo,
} from './session/index.js';
export { TrezorError, isTrezorError, type TrezorErrorCode } from './errors.js';
export {
  MODELS,
  modelOf,
  modelFamily,
  hasCapability,
  canEnterPassphraseOnDevice,
  USB_ID_FIRMWARE,
  USB_ID_BOOTLOADER,
  USB_ID_ONE_HID,
  type TrezorModel,
  type InternalModel,
  type ModelFamily,
  type ModelFeatures,
  type UsbId,
} from './models.js';
export { parsePath, formatPath, HARDENED, type Path } from './path.js';
export * from './transport/index.js';
export type { MessageLink, WireMessage } from './protocol/link.js';
export { encodeMessage, decodeMessage, type MessageMap, type MessageName, type AnyMessage } from './messages/index.js';
