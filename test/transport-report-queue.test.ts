// ReportQueue, the buffer behind the UDP, WebHID and in-memory transports: FIFO to waiting
// readers, and bounded — a peer that floods reports nobody reads fails the queue (ProtocolError).
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LENGTH, encodeReports, reportCount } from '../src/protocol/v1.js';
import { MAX_QUEUED_REPORTS, ReportQueue } from '../src/transport/abort.js';

const report = (n: number) => new Uint8Array(64).fill(n);

describe('ReportQueue', () => {
  it('hands reports to readers in order, queued or awaited', async () => {
    const queue = new ReportQueue();
    const early = queue.shift();
    queue.push(report(1));
    queue.push(report(2));
    expect((await early)[0]).toBe(1);
    expect((await queue.shift())[0]).toBe(2);
  });

  it('pushError rejects one read only, queued or awaited (a failed Bridge call)', async () => {
    const queue = new ReportQueue();
    const waiting = queue.shift();
    queue.pushError(new Error('first'));
    await expect(waiting).rejects.toThrow('first');
    queue.pushError(new Error('second'));
    queue.push(report(7));
    await expect(queue.shift()).rejects.toThrow('second');
    expect((await queue.shift())[0]).toBe(7);
    expect(queue.failed).toBe(false);
  });

  it('holds at most its limit of unread reports, then fails every read with ProtocolError', async () => {
    const queue = new ReportQueue(3);
    for (let i = 0; i < 3; i++) queue.push(report(i));
    expect(queue.failed).toBe(false);
    queue.push(report(3));
    expect(queue.failed).toBe(true);
    await expect(queue.shift()).rejects.toMatchObject({ name: 'TrezorError', code: 'ProtocolError' });
  });

  it('the default limit holds the largest message the decoder accepts, sent all at once', () => {
    expect(MAX_QUEUED_REPORTS).toBe(reportCount(DEFAULT_MAX_LENGTH));
    const queue = new ReportQueue();
    for (const r of encodeReports(17, new Uint8Array(DEFAULT_MAX_LENGTH))) queue.push(r);
    expect(queue.failed).toBe(false);
  });
});
