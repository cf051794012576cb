/**
 * Small helpers shared by transports: a queue of incoming reports that readers wait on (UDP
 * datagrams, HID input reports, in-memory pairs all push into one), telling disconnect
 * listeners, and reading the errors that the browser device APIs (WebUSB, WebHID) throw. The
 * AbortSignal helpers every layer uses are in ../abort.ts.
 */
import { abortReason } from '../abort.js';
import { TrezorError, isTrezorError, protocolError } from '../errors.js';

/**
 * Reports a queue holds for a reader at most: as many as the largest message the v1 decoder
 * accepts (16 MiB: a 55-byte first report, then 63 bytes each), which may arrive all at once.
 * A device (or a UDP peer) that sends more while nobody reads is misbehaving; its queue fails
 * instead of growing without bound.
 */
export const MAX_QUEUED_REPORTS = 1 + Math.ceil((16 * 1024 * 1024 - 55) / 63);

/** A one-shot error in a {@link ReportQueue}: it rejects a single read. */
class QueuedError {
  constructor(readonly error: unknown) {}
}

/**
 * FIFO of reports (or, for the Bridge, whole messages) with waiting readers; `fail` rejects
 * current and future reads.
 * @example const queue = new ReportQueue(); socket.on('message', (d) => queue.push(d)); await queue.shift(signal)
 */
export class ReportQueue<T = Uint8Array> {
  /** Reports, and one-shot errors that reject a single read (see {@link pushError}). */
  private readonly items: (T | QueuedError)[] = [];
  private readonly waiters: { resolve: (r: T) => void; reject: (e: unknown) => void }[] = [];
  private readonly limit: number;
  private error: unknown;

  constructor(limit = MAX_QUEUED_REPORTS) {
    this.limit = limit;
  }

  push(report: T): void {
    this.deliver(report);
  }

  /** Reject the next read, and only that one, with `error` (a failed exchange, not a dead link). */
  pushError(error: unknown): void {
    this.deliver(new QueuedError(error));
  }

  private deliver(item: T | QueuedError): void {
    if (this.error !== undefined) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      if (item instanceof QueuedError) waiter.reject(item.error);
      else waiter.resolve(item);
    } else if (this.items.length < this.limit) this.items.push(item);
    else {
      this.items.length = 0; // drop what is held: the stream is unusable anyway
      this.fail(protocolError(`more than ${this.limit} reports arrived with nobody reading them`));
    }
  }

  /** Every pending and future read rejects with `error`. */
  fail(error: unknown): void {
    if (this.error !== undefined) return;
    this.error = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  get failed(): boolean {
    return this.error !== undefined;
  }

  /** True while a read waits for a report (WebUSB starts a transfer only then). */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  shift(signal?: AbortSignal): Promise<T> {
    if (this.items.length > 0) {
      const item = this.items.shift()!;
      return item instanceof QueuedError ? Promise.reject(item.error) : Promise.resolve(item);
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    if (!signal) return new Promise<T>((resolve, reject) => void this.waiters.push({ resolve, reject })); // nothing to unhook later
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        resolve: (r: T) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}

/**
 * The DeviceDisconnected error transports reject reads and writes with.
 * @example queue.fail(disconnected('The connection was closed'))
 */
export function disconnected(detail = 'The device was disconnected'): TrezorError<'DeviceDisconnected'> {
  return new TrezorError('DeviceDisconnected', detail);
}

/**
 * Call every listener once (on a copy of the set, so one may unsubscribe itself); one listener's
 * bug must not keep the others from hearing about the unplug.
 * @example notifyAll(listeners) // the device went away
 */
export function notifyAll(listeners: Iterable<() => void>): void {
  for (const listener of [...listeners]) {
    try {
      listener();
    } catch {
      // ignored: see above
    }
  }
}

/**
 * `error.name` of a thrown DOMException-like value, or ''.
 * @example errorName(new DOMException('x', 'NotFoundError')) // 'NotFoundError'
 */
export function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : '';
}

/**
 * `error.message` of a thrown value, or its string form.
 * @example errorText(new Error('LIBUSB_ERROR_ACCESS')) // 'LIBUSB_ERROR_ACCESS'
 */
export function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/**
 * The TrezorError for a failed `requestDevice()` (WebUSB or WebHID): no user gesture →
 * NotSupported (open it from a click), chooser closed → ActionCancelled. An abort or a
 * TrezorError passes through unchanged.
 * @example catch (error) { throw chooserError(error, signal) }
 */
export function chooserError(error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted || isTrezorError(error)) return error;
  const name = errorName(error);
  const text = errorText(error);
  if (name === 'SecurityError' || /user gesture/i.test(text)) {
    return new TrezorError('NotSupported', 'The device chooser must be opened from a click (a user gesture): call request() or connect() in a click handler', {
      cause: error,
    });
  }
  if (name === 'NotFoundError' || /no device selected/i.test(text)) {
    return new TrezorError('ActionCancelled', 'No device was selected in the chooser', { cause: error });
  }
  return new TrezorError('NotSupported', `The browser refused to show the device chooser: ${text}`, { cause: error });
}
