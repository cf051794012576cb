/**
 * Which protocol a device speaks, told from its answer to the first protocol v1 message.
 *
 * A firmware that speaks the Trezor Host Protocol keeps one fixed answer for anything framed as
 * protocol v1: the device mux (trezor-firmware rust/trezor-thp/src/channel/device.rs,
 * `CODEC_V1_RESPONSE`) answers every v1 initiation report (`?##…`) with the single report
 * `?## 0003 00000002 0811` — a Failure (type 3) of 2 bytes, `code = 17` (Failure_InvalidProtocol),
 * zero padded — and ignores v1 continuation reports. trezorlib 0.20.1 detects THP the same way
 * (trezorlib/protocol_v1.py `probe()`: it sends Cancel and takes Failure(InvalidProtocol) as
 * "not v1"). connect() sends Initialize as its first v1 message, so a v1 device pays nothing
 * for the detection, and a THP device's refusal is the signal to open a THP channel on the same
 * connection (its one answer report has been read: the line is clean).
 */
import { isTrezorError } from '../../errors.js';

/** FailureType.Failure_InvalidProtocol (trezor-firmware common/protob/messages-common.proto). */
export const FAILURE_INVALID_PROTOCOL = 17;

/**
 * The report a THP firmware sends for any v1 message (rust/trezor-thp/src/channel/device.rs).
 * @example THP_V1_ANSWER.subarray(0, 11) // 3f 23 23 00 03 00 00 00 02 08 11
 */
export const THP_V1_ANSWER: Uint8Array = /* @__PURE__ */ (() => {
  const report = new Uint8Array(64);
  report.set([0x3f, 0x23, 0x23, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x11]);
  return report;
})();

/**
 * True when `error` is the device refusing protocol v1 (Failure InvalidProtocol): it speaks THP.
 * @example try { await trezor.initialize() } catch (e) { if (refusesV1(e)) return openThp(connection) }
 */
export function refusesV1(error: unknown): boolean {
  return isTrezorError(error) && error.failureCode === FAILURE_INVALID_PROTOCOL;
}
