/**
 * Protocol detection: the report a THP firmware sends for any protocol v1 message
 * (trezor-firmware rust/trezor-thp/src/channel/device.rs, CODEC_V1_RESPONSE) is read by the v1
 * decoder as Failure(InvalidProtocol), which `refusesV1` recognises; other failures are not.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../src/messages/index.js';
import { completedMessage, decodeReport } from '../src/protocol/v1.js';
import { THP_V1_ANSWER, refusesV1 } from '../src/protocol/thp-host/detect.js';
import { failureToError } from '../src/session/failure.js';

describe('THP detection', () => {
  it("the firmware's v1 answer is Failure(InvalidProtocol) and marks a THP device", () => {
    // The firmware's bytes, written out: b"?##\x00\x03\x00\x00\x00\x02\x08\x11", zero padded to 64.
    expect(Buffer.from(THP_V1_ANSWER.subarray(0, 11)).toString('hex')).toBe('3f2323000300000002' + '0811');
    expect(THP_V1_ANSWER.subarray(11).every((b) => b === 0)).toBe(true);
    const done = completedMessage(decodeReport(undefined, THP_V1_ANSWER));
    expect(done).toBeDefined();
    const message = decodeMessage(done!.type, done!.payload);
    expect(message).toEqual({ type: 'Failure', message: { code: 'Failure_InvalidProtocol' } });
    const error = failureToError(message.message as { code: string });
    expect(refusesV1(error)).toBe(true);
  });

  it('other failures and other errors do not', () => {
    expect(refusesV1(failureToError({ code: 'Failure_ActionCancelled' }))).toBe(false);
    expect(refusesV1(failureToError({ code: 'Failure_UnexpectedMessage' }))).toBe(false);
    expect(refusesV1(new Error('x'))).toBe(false);
    expect(refusesV1(undefined)).toBe(false);
  });
});
