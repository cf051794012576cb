/**
 * Protocol v1 as a {@link MessageLink}: whole messages over a connection that moves 64-byte
 * reports (WebUSB, WebHID, USB, the emulator's UDP, in memory). The framing is the pure code
 * of v1.ts; this module adds what framing needs over a live connection and nothing else:
 *
 * - reassembly: reports are fed to the v1 reducer until a message is complete;
 * - a malformed frame (bad continuation magic, oversize declared length) rejects that read
 *   with ProtocolError and reassembly starts over at the next header;
 * - a device that goes silent in the middle of a message (after its header, before its last
 *   report) for `messageTimeout` ms is broken or gone: the read rejects with Timeout and the
 *   link closes its connection, so a new connect() can open the device again. Before a header
 *   the device may rightly wait as long as the user does, so a read waits without limit;
 * - one write at a time: the reports of a message written while another is still going out
 *   follow its last report instead of landing between two of them (a Cancel sent while a long
 *   request is being written).
 *
 * The I/O stays in the injected connection (transport/).
 */
import { TrezorError } from '../errors.js';
import type { TransportConnection } from '../transport/types.js';
import type { MessageLink, WireMessage } from './link.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from './v1.js';

/** Default of {@link V1LinkOptions.messageTimeout}: 10 s. */
export const MESSAGE_GAP_MS = 10_000;

export interface V1LinkOptions {
  /** How long the device may stay silent between two reports of one message, in ms (default 10 000). */
  messageTimeout?: number;
}

/**
 * Frame `connection` with protocol v1.
 * @example const link = v1Link(await udp().open(device)); await link.write({ type: 55, payload: new Uint8Array() })
 */
export function v1Link(connection: TransportConnection, options: V1LinkOptions = {}): MessageLink {
  return new V1Link(connection, options.messageTimeout ?? MESSAGE_GAP_MS);
}

class V1Link implements MessageLink {
  readonly protocol = 'v1';
  private decodeState: DecodeState | undefined;
  /** Settles when the last message written so far has gone out (or failed); the next write waits for it. */
  private writing: Promise<void> = Promise.resolve();
  /** Messages written and not yet gone out: with none, a write starts at once. */
  private writesInFlight = 0;
  private closed = false;

  constructor(
    private readonly connection: TransportConnection,
    private readonly messageTimeout: number,
  ) {}

  write(message: WireMessage, signal?: AbortSignal): Promise<void> {
    let reports: Uint8Array[];
    try {
      reports = encodeReports(message.type, message.payload);
    } catch (error) {
      return Promise.reject(error);
    }
    const previous = this.writing;
    const idle = this.writesInFlight++ === 0;
    // Taken before the reports start: a write made meanwhile (a Cancel sent from an abort
    // listener that this very write set off) waits for this message's last report.
    let release!: () => void;
    this.writing = new Promise<void>((resolve) => (release = resolve));
    let written: Promise<void>;
    if (idle) {
      // Nothing going out: start now, without a turn of the promise queue.
      try {
        written = sendReports(this.connection, reports, signal);
      } catch (error) {
        written = Promise.reject(error);
      }
    } else {
      written = previous.then(() => sendReports(this.connection, reports, signal));
    }
    const done = () => {
      this.writesInFlight--;
      release();
    };
    written.then(done, done);
    return written;
  }

  async read(signal?: AbortSignal): Promise<WireMessage> {
    for (;;) {
      const report = this.decodeState === undefined ? await this.connection.read(signal) : await this.readContinuation(signal);
      try {
        this.decodeState = decodeReport(this.decodeState, report);
      } catch (error) {
        this.decodeState = undefined; // a malformed frame: start over at the next header
        throw error;
      }
      const done = completedMessage(this.decodeState);
      if (done) {
        this.decodeState = undefined;
        return done;
      }
    }
  }

  /** The next report of a message already begun, within `messageTimeout` (see the header). */
  private async readContinuation(signal?: AbortSignal): Promise<Uint8Array> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Rejected before the connection closes, so the race ends in Timeout, not in the
        // DeviceDisconnected the closing fails the pending read with.
        reject(new TrezorError('Timeout', `The device went silent in the middle of a message for ${this.messageTimeout} ms; the connection was closed`));
        this.decodeState = undefined;
        void this.close().catch(() => undefined);
      }, this.messageTimeout);
    });
    try {
      return await Promise.race([this.connection.read(signal), silent]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(signal?: AbortSignal): Promise<void> {
    this.closed = true;
    return this.connection.close(signal); // safe to call twice, as the connection is
  }

  onDisconnect(listener: () => void): () => void {
    // A link closed on purpose (by its user, or after a Timeout) has not lost its device.
    return this.connection.onDisconnect(() => {
      if (!this.closed) listener();
    });
  }
}

/**
 * The reports of one message, in order: all at once where the connection keeps their order
 * itself (writeReports), else one awaited write() after the other.
 */
function sendReports(connection: TransportConnection, reports: Uint8Array[], signal?: AbortSignal): Promise<void> {
  if (reports.length === 1) return connection.write(reports[0]!, signal);
  if (connection.writeReports) return connection.writeReports(reports, signal);
  return (async () => {
    for (const report of reports) await connection.write(report, signal);
  })();
}
