import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { decodeBridge, encodeBridge } from '../src/protocol/bridge.js';
import { completedMessage, decodeReport, decodeReports, encodeReports, reportCount, type DecodeState } from '../src/protocol/v1.js';
import { hex, loadVectors, unhex } from './support/fixtures.js';

describe('protocol v1: wire_encoding vectors', () => {
  const vectors = loadVectors().wire_encoding.vectors as {
    name: string;
    message_type_id: number;
    protobuf_hex: string;
    usb_packets_hex: string[];
    bridge_body_hex: string;
  }[];
  it('has vectors', () => expect(vectors.length).toBeGreaterThan(10));
  for (const v of vectors) {
    it(`${v.name}: reports and bridge body byte-exact`, () => {
      const payload = unhex(v.protobuf_hex);
      const reports = encodeReports(v.message_type_id, payload);
      expect(reports.map(hex)).toEqual(v.usb_packets_hex);
      const decoded = decodeReports(v.usb_packets_hex.map(unhex));
      expect(decoded.type).toBe(v.message_type_id);
      expect(hex(decoded.payload)).toBe(v.protobuf_hex);
      expect(encodeBridge(v.message_type_id, payload)).toBe(v.bridge_body_hex);
      const fromBridge = decodeBridge(v.bridge_body_hex);
      expect(fromBridge.type).toBe(v.message_type_id);
      expect(hex(fromBridge.payload)).toBe(v.protobuf_hex);
    });
  }
});

describe('protocol v1: decoder rules', () => {
  it('ignores bytes after the declared length (stale padding from Core firmware)', () => {
    const [report] = encodeReports(2, Uint8Array.of(1, 2, 3));
    report!.fill(0xee, 12);
    const m = decodeReports([report!]);
    expect(Array.from(m.payload)).toEqual([1, 2, 3]);
  });

  it('skips stray reports before a header', () => {
    const stray = new Uint8Array(64).fill(0x3f);
    const garbage = new Uint8Array(64).fill(0x11);
    const reports = encodeReports(17, new Uint8Array(100).fill(7));
    const m = decodeReports([garbage, stray, ...reports]);
    expect(m.type).toBe(17);
    expect(m.payload.length).toBe(100);
  });

  it('throws ProtocolError on a bad magic in a continuation report', () => {
    const reports = encodeReports(17, new Uint8Array(100));
    reports[1]![0] = 0x00;
    expect(() => decodeReports(reports)).toThrowError(expect.objectContaining({ code: 'ProtocolError' }));
  });

  it('rejects an oversize declared length before buffering', () => {
    const header = new Uint8Array(64);
    header.set([0x3f, 0x23, 0x23, 0, 17, 0x01, 0, 0, 1]); // 16 MiB + 1
    let error: unknown;
    try {
      decodeReport(undefined, header);
    } catch (e) {
      error = e;
    }
    expect(isTrezorError(error, 'ProtocolError')).toBe(true);
    expect(() => decodeReport(undefined, encodeReports(1, new Uint8Array(1000))[0]!, { maxLength: 999 })).toThrow(/exceeds/);
  });

  it('reads the declared length as unsigned 32 bits (a set top bit is a large length, not a negative one)', () => {
    const header = new Uint8Array(64);
    header.set([0x3f, 0x23, 0x23, 0x01, 0x02, 0x80, 0, 0, 0]);
    expect(() => decodeReport(undefined, header)).toThrow(/declared message length 2147483648 exceeds/);
  });

  it('takes reports shorter than 64 bytes, as some transports hand them over', () => {
    const payload = Uint8Array.from({ length: 30 }, (_, i) => i + 1);
    const [full] = encodeReports(0x0102, payload);
    let state = decodeReport(undefined, full!.subarray(0, 20)); // header + 11 payload bytes
    expect(state).toMatchObject({ type: 0x0102, received: 11 });
    const next = new Uint8Array(1 + 10);
    next[0] = 0x3f;
    next.set(payload.subarray(11, 21), 1);
    state = decodeReport(state, next);
    expect(state!.received).toBe(21);
    const last = new Uint8Array(64);
    last[0] = 0x3f;
    last.set(payload.subarray(21), 1);
    const done = completedMessage(decodeReport(state, last));
    expect(done?.payload).toEqual(payload);
  });

  it('reports needed: 1 + ceil((n - 55) / 63)', () => {
    expect(reportCount(0)).toBe(1);
    expect(reportCount(55)).toBe(1);
    expect(reportCount(56)).toBe(2);
    expect(reportCount(55 + 63)).toBe(2);
    expect(reportCount(55 + 64)).toBe(3);
  });

  it('round-trips random types and payloads up to 100 kB (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ minLength: 0, maxLength: 100_000 }), (type, payload) => {
        const reports = encodeReports(type, payload);
        expect(reports.every((r) => r.length === 64)).toBe(true);
        expect(reports.length).toBe(reportCount(payload.length));
        let state: DecodeState | undefined;
        let done;
        for (const r of reports) {
          expect(done).toBeUndefined();
          state = decodeReport(state, r);
          done = completedMessage(state);
        }
        expect(done!.type).toBe(type);
        expect(done!.payload).toEqual(payload);
        const bridged = decodeBridge(encodeBridge(type, payload));
        expect(bridged.type).toBe(type);
        expect(bridged.payload).toEqual(payload);
      }),
      { numRuns: 60 },
    );
  });

  it('bridge body shorter than declared is a ProtocolError', () => {
    expect(() => decodeBridge('0002000000050a03')).toThrowError(expect.objectContaining({ code: 'ProtocolError' }));
    expect(() => decodeBridge('zz')).toThrowError(expect.objectContaining({ code: 'ProtocolError' }));
  });
});
