/**
 * THP transport layer, host side: the packet I/O of one channel over an open
 * `TransportConnection` (64-byte reports on WebUSB / USB / the emulator's UDP).
 *
 * What lives here is the part of the Trezor Host Protocol that does not depend on cryptography
 * (trezor-firmware docs/common/thp/specification.md, "Transport layer"):
 * - channel allocation on the broadcast channel 0xFFFF (a random 8-byte nonce, answered with
 *   the new channel id and the device properties);
 * - the Alternating Bit Protocol: every handshake / encrypted message carries a sequence bit
 *   (control byte mask 0x10), is acknowledged by an ACK whose ack bit (mask 0x08) repeats it,
 *   and is retransmitted until that ACK arrives; received messages are acknowledged at once and
 *   a repeated sequence bit marks a duplicate, which is acknowledged again and dropped;
 * - transport errors: TRANSPORT_BUSY backs off by a random delay of up to MAX_BUSY_BACKOFF_MS
 *   and retransmits; UNALLOCATED_CHANNEL and DECRYPTION_FAILED end the channel (ChannelLost);
 *   DEVICE_LOCKED refuses a handshake (DeviceLocked);
 * - bounded waiting: a message begun must be finished within `messageTimeout`, an unacknowledged
 *   message is retransmitted at most `maxRetransmissions` times, malformed packets end the channel
 *   with ProtocolError. Nothing here waits without a limit except a read of the device's next
 *   message, which (as in protocol v1) may rightly wait for the user.
 *
 * This host never piggybacks ACKs: it sends the handshake initiation request with the ack bit
 * clear, so the device keeps sending explicit ACKs too (rust/trezor-thp/src/channel/device.rs,
 * `enable_ack_piggybacking_if_requested`), and it acknowledges each message before it sends the
 * next one, as the device's half-duplex rule for protocol 2.0 requires.
 *
 * Packet framing (header, CRC-32, segmentation) is the THP core's (`../thp/`), plugged in as a
 * {@link ThpFraming}; the session layer above sees whole payloads only.
 */
import { TrezorError, protocolError } from '../../errors.js';
import { abortReason } from '../../abort.js';
import type { TransportConnection } from '../../transport/types.js';
import {
  ACK,
  ACK_BIT,
  CHANNEL_ALLOCATION_REQ,
  CHANNEL_ALLOCATION_RES,
  CODEC_V1,
  ENCRYPTED_TRANSPORT,
  HANDSHAKE_COMP_REQ,
  HANDSHAKE_COMP_RES,
  HANDSHAKE_INIT_REQ,
  HANDSHAKE_INIT_RES,
  SEQ_BIT,
  TRANSPORT_ERROR,
  ThpErrorCode,
  dataKind,
  isAck,
} from '../thp/control.js';
import { BROADCAST_CHANNEL } from '../thp/packet.js';

/** The broadcast channel id, used for channel allocation (and ping). */
export const BROADCAST_CID = BROADCAST_CHANNEL;

/** Control bytes of the THP core under the names this layer uses (specification, "Transport packet structure"). */
export const CONTROL = {
  HANDSHAKE_INIT_REQUEST: HANDSHAKE_INIT_REQ,
  HANDSHAKE_INIT_RESPONSE: HANDSHAKE_INIT_RES,
  HANDSHAKE_COMPLETION_REQUEST: HANDSHAKE_COMP_REQ,
  HANDSHAKE_COMPLETION_RESPONSE: HANDSHAKE_COMP_RES,
  ENCRYPTED_TRANSPORT,
  ACK,
  CODEC_V1,
  CHANNEL_ALLOCATION_REQUEST: CHANNEL_ALLOCATION_REQ,
  CHANNEL_ALLOCATION_RESPONSE: CHANNEL_ALLOCATION_RES,
  TRANSPORT_ERROR,
} as const;

/** Transport error codes (specification, "Allocation layer"). */
const ERROR = ThpErrorCode;

/** One transport payload with its header fields; the CRC is the framing's business. */
export interface ThpFrame {
  ctrl: number;
  cid: number;
  payload: Uint8Array;
}

/** What a packet did to the reassembly: completed a frame, failed its CRC, or needs more. */
export type ThpDecoded = { frame: ThpFrame } | { crcError: true } | undefined;

/** Incremental reassembly of packets into frames (one frame at a time; the host has one channel). */
export interface ThpDecoder {
  /** Feed one packet. Throws ProtocolError for a malformed packet (bad control byte, oversize length). */
  push(packet: Uint8Array): ThpDecoded;
  /** True while a frame has begun and waits for continuation packets. */
  readonly pending: boolean;
}

/** The THP core's packet framing, as this layer uses it. */
export interface ThpFraming {
  /** Packets (zero padded to the packet size) carrying `frame` with its CRC. */
  encode(frame: ThpFrame): Uint8Array[];
  /** A fresh reassembler. */
  decoder(): ThpDecoder;
}

export interface ThpIoOptions {
  /** How long to wait for an ACK before retransmitting, in ms (default 500, trezorlib's ACK_TIMEOUT). */
  ackTimeout?: number;
  /** Retransmissions of one message before giving up with Timeout (default 20, trezorlib's). */
  maxRetransmissions?: number;
  /** Largest random back-off after TRANSPORT_BUSY, in ms (default 500, the specification's MAX_BUSY_BACKOFF_MS). */
  maxBusyBackoff?: number;
  /** How long the device may go silent in the middle of a frame, in ms (default 10 000). */
  messageTimeout?: number;
  /** Consecutive frames failing their CRC before the channel is given up (default 8). */
  maxCrcErrors?: number;
}

type AckOutcome = 'ack' | 'timeout' | 'busy';

/** Repeats of an unanswered channel allocation request. */
const ALLOCATION_RETRIES = 2;

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The packet I/O of one THP channel: allocation, then reliable sending and receiving of frames.
 * One frame is in flight at a time in each direction; sends are queued.
 * @example
 * const io = new ThpChannelIO(connection, framing);
 * const { properties } = await io.allocate();
 * await io.send(CONTROL.HANDSHAKE_INIT_REQUEST, request);
 * const answer = await io.receive();
 */
export class ThpChannelIO {
  /** The channel id once allocated (broadcast before). */
  cid = BROADCAST_CID;
  private sendBit = 0;
  private receiveBit = 0;
  private readonly decoder: ThpDecoder;
  private readonly inbox: ThpFrame[] = [];
  private readonly readers: Waiter<ThpFrame>[] = [];
  private ackWaiter: (Waiter<AckOutcome> & { bit: number }) | undefined;
  private broadcastWaiter: (Waiter<ThpFrame> & { accept: (frame: ThpFrame) => boolean }) | undefined;
  private pumping = false;
  private failure: unknown;
  private crcErrors = 0;
  private writes: Promise<void> = Promise.resolve();
  private sends: Promise<void> = Promise.resolve();
  private readonly ackTimeout: number;
  private readonly maxRetransmissions: number;
  private readonly maxBusyBackoff: number;
  private readonly messageTimeout: number;
  private readonly maxCrcErrors: number;

  constructor(
    private readonly connection: TransportConnection,
    private readonly framing: ThpFraming,
    options: ThpIoOptions = {},
  ) {
    this.decoder = framing.decoder();
    this.ackTimeout = options.ackTimeout ?? 500;
    this.maxRetransmissions = options.maxRetransmissions ?? 20;
    this.maxBusyBackoff = options.maxBusyBackoff ?? 500;
    this.messageTimeout = options.messageTimeout ?? 10_000;
    this.maxCrcErrors = options.maxCrcErrors ?? 8;
  }

  /** The error that ended this channel, if any (every later call rejects with it). */
  get failed(): unknown {
    return this.failure;
  }

  /**
   * Ask the device for a channel: ChannelAllocationRequest with a random nonce on the broadcast
   * channel, retransmitted on silence; answers carrying another nonce are someone else's.
   * Resolves with the channel id (also kept in `cid`) and the encoded ThpDeviceProperties.
   */
  async allocate(signal?: AbortSignal): Promise<{ cid: number; properties: Uint8Array }> {
    this.check();
    const nonce = crypto.getRandomValues(new Uint8Array(8));
    const packets = this.framing.encode({ ctrl: CONTROL.CHANNEL_ALLOCATION_REQUEST, cid: BROADCAST_CID, payload: nonce });
    for (let attempt = 0; ; attempt++) {
      // The waiter is in place before the request leaves: an in-process device answers at once.
      const answer = this.waitBroadcast(
        (f) => f.ctrl === CONTROL.CHANNEL_ALLOCATION_RESPONSE && f.payload.length >= 10 && equalBytes(f.payload.subarray(0, 8), nonce),
        signal,
      );
      answer.promise.catch(() => undefined);
      await this.writePackets(packets);
      answer.start(this.ackTimeout * 4);
      const frame = await answer.promise;
      if (frame) {
        const cid = (frame.payload[8]! << 8) | frame.payload[9]!;
        if (cid === 0 || cid >= 0xfff0) throw this.fail(protocolError(`The device allocated the reserved channel id 0x${cid.toString(16)}`));
        this.cid = cid;
        this.sendBit = 0;
        this.receiveBit = 0;
        return { cid, properties: frame.payload.slice(10) };
      }
      // A THP device answers allocation at once; a few tries cover a lost packet, not a slow device.
      if (attempt >= Math.min(this.maxRetransmissions, ALLOCATION_RETRIES)) {
        throw new TrezorError('Timeout', 'The device did not answer the THP channel allocation request');
      }
    }
  }

  /**
   * Send one frame reliably: `kind` is the control byte without its sequence / ack bits
   * (CONTROL.HANDSHAKE_INIT_REQUEST, …, CONTROL.ENCRYPTED_TRANSPORT). Resolves once the device
   * acknowledged it. `signal` is honoured only before the first packet goes out: after that the
   * message is delivered (or the channel fails), so the sequence bits stay in step.
   */
  send(kind: number, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    const run = this.sends.then(() => this.sendNow(kind, payload, signal));
    this.sends = run.catch(() => undefined);
    return run;
  }

  /**
   * The device's next handshake or encrypted frame on this channel (already acknowledged).
   * Waits as long as it takes (the device may be waiting for the user) unless `signal` aborts.
   */
  receive(signal?: AbortSignal): Promise<ThpFrame> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<ThpFrame>((resolve, reject) => {
      const waiter: Waiter<ThpFrame> = {
        resolve: (frame) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(frame);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        const index = this.readers.indexOf(waiter);
        if (index >= 0) this.readers.splice(index, 1);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.readers.push(waiter);
      this.kick();
    });
  }

  /** End the channel: pending and later calls reject with `error` (DeviceDisconnected by default). */
  close(error: unknown = new TrezorError('DeviceDisconnected', 'The THP channel was closed')): void {
    this.fail(error);
  }

  private async sendNow(kind: number, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    this.check();
    if (signal?.aborted) throw abortReason(signal);
    const bit = this.sendBit;
    const packets = this.framing.encode({ ctrl: kind | (bit ? SEQ_BIT : 0), cid: this.cid, payload });
    for (let attempt = 0; ; attempt++) {
      const ack = this.waitAck(bit); // in place before the frame leaves: the ACK may come at once
      ack.promise.catch(() => undefined);
      await this.writePackets(packets);
      ack.start(this.ackTimeout);
      const outcome = await ack.promise;
      if (outcome === 'ack') {
        this.sendBit ^= 1;
        return;
      }
      if (attempt >= this.maxRetransmissions) {
        throw this.fail(new TrezorError('Timeout', `The device did not acknowledge a THP message after ${attempt + 1} transmissions`));
      }
      if (outcome === 'busy') await sleep(Math.random() * this.maxBusyBackoff);
      this.check();
    }
  }

  /** Wait for the ACK of sequence bit `bit`; `start` begins the retransmission period. */
  private waitAck(bit: number): { promise: Promise<AckOutcome>; start: (ms: number) => void } {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    let settle!: (outcome: AckOutcome) => void;
    const promise = new Promise<AckOutcome>((resolve, reject) => {
      const clear = () => {
        settled = true;
        clearTimeout(timer);
        if (this.ackWaiter === waiter) this.ackWaiter = undefined;
      };
      settle = (outcome) => {
        clear();
        resolve(outcome);
      };
      const waiter = {
        bit,
        resolve: settle,
        reject: (error: unknown) => {
          clear();
          reject(error);
        },
      };
      this.ackWaiter = waiter;
      this.kick();
    });
    return {
      promise,
      start: (ms) => {
        if (!settled) timer = setTimeout(() => settle('timeout'), ms);
      },
    };
  }

  /** The first broadcast frame `accept` takes, or undefined once `start`'s period is over. */
  private waitBroadcast(
    accept: (frame: ThpFrame) => boolean,
    signal?: AbortSignal,
  ): { promise: Promise<ThpFrame | undefined>; start: (ms: number) => void } {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    let expire: () => void = () => {};
    const promise = new Promise<ThpFrame | undefined>((resolve, reject) => {
      if (signal?.aborted) {
        settled = true;
        return reject(abortReason(signal));
      }
      const done = () => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.broadcastWaiter === waiter) this.broadcastWaiter = undefined;
      };
      expire = () => {
        done();
        resolve(undefined);
      };
      const onAbort = () => {
        done();
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const waiter = {
        accept,
        resolve: (frame: ThpFrame) => {
          done();
          resolve(frame);
        },
        reject: (error: unknown) => {
          done();
          reject(error);
        },
      };
      this.broadcastWaiter = waiter;
      this.kick();
    });
    return {
      promise,
      start: (ms) => {
        if (!settled) timer = setTimeout(() => expire(), ms);
      },
    };
  }

  /** Start reading packets while anyone waits for one; a single read is in flight at a time. */
  private kick(): void {
    if (this.pumping || this.failure !== undefined) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      while (this.failure === undefined && (this.readers.length > 0 || this.ackWaiter || this.broadcastWaiter)) {
        const packet = await this.readPacket();
        this.handlePacket(packet);
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
    }
  }

  /** The next packet; inside a frame, within `messageTimeout`. */
  private async readPacket(): Promise<Uint8Array> {
    if (!this.decoder.pending) return this.connection.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TrezorError('Timeout', `The device went silent in the middle of a THP message for ${this.messageTimeout} ms`)),
        this.messageTimeout,
      );
    });
    try {
      return await Promise.race([this.connection.read(), silent]);
    } finally {
      clearTimeout(timer);
    }
  }

  private handlePacket(packet: Uint8Array): void {
    // A leftover protocol v1 report (the device's answer to the detection probe) is not THP.
    if (packet[0] === CONTROL.CODEC_V1 && !this.decoder.pending) return;
    const decoded = this.decoder.push(packet); // throws ProtocolError: ends the channel (pump)
    if (!decoded) return;
    if ('crcError' in decoded) {
      // The specification drops such a frame; the sender retransmits it. Only a stream of them is fatal.
      if (++this.crcErrors >= this.maxCrcErrors) throw protocolError(`${this.crcErrors} THP frames in a row failed their CRC`);
      return;
    }
    this.crcErrors = 0;
    this.handleFrame(decoded.frame);
  }

  private handleFrame(frame: ThpFrame): void {
    const { ctrl, cid } = frame;
    if (cid === BROADCAST_CID) {
      if (this.broadcastWaiter?.accept(frame)) this.broadcastWaiter.resolve(frame);
      return;
    }
    if (cid !== this.cid) return; // another host's channel: not ours to read
    if (ctrl === CONTROL.TRANSPORT_ERROR) return this.handleTransportError(frame.payload[0]);
    if (isAck(ctrl)) {
      if (frame.payload.length !== 0) return; // an ACK carries nothing but its CRC
      const bit = ctrl & ACK_BIT ? 1 : 0;
      if (this.ackWaiter && this.ackWaiter.bit === bit) this.ackWaiter.resolve('ack');
      return; // a repeated ACK of a message already delivered
    }
    const kind = dataKind(ctrl);
    if (kind !== undefined) {
      const seq = ctrl & SEQ_BIT ? 1 : 0;
      this.writeAck(seq);
      if (seq !== this.receiveBit) return; // a duplicate: acknowledged again, dropped
      this.receiveBit ^= 1;
      const delivered: ThpFrame = { ctrl: kind, cid, payload: frame.payload };
      const reader = this.readers.shift();
      if (reader) reader.resolve(delivered);
      else this.inbox.push(delivered);
      return;
    }
    throw protocolError(`Unexpected THP control byte 0x${ctrl.toString(16).padStart(2, '0')} on channel 0x${cid.toString(16)}`);
  }

  private handleTransportError(code: number | undefined): void {
    switch (code) {
      case ERROR.TRANSPORT_BUSY:
        this.ackWaiter?.resolve('busy');
        return;
      case ERROR.DEVICE_LOCKED:
        throw new TrezorError('DeviceLocked', 'The device is locked: unlock it and connect again');
      case ERROR.UNALLOCATED_CHANNEL:
        throw new TrezorError('ChannelLost', 'The device no longer knows this THP channel (it was replaced or released): connect again');
      case ERROR.DECRYPTION_FAILED:
        throw new TrezorError('ChannelLost', 'The device could not decrypt a message and dropped the THP channel: connect again');
      default:
        throw protocolError(`The device sent an unknown THP transport error ${code ?? '(empty)'}`);
    }
  }

  private writeAck(bit: number): void {
    const packets = this.framing.encode({ ctrl: CONTROL.ACK | (bit ? ACK_BIT : 0), cid: this.cid, payload: new Uint8Array(0) });
    this.writePackets(packets).catch((error) => this.fail(error));
  }

  /** Write packets back to back; writes never interleave. */
  private writePackets(packets: Uint8Array[]): Promise<void> {
    const run = this.writes.then(async () => {
      this.check();
      for (const packet of packets) await this.connection.write(packet);
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Make `error` the channel's end and reject everyone waiting. Returns it for `throw`. */
  private fail(error: unknown): unknown {
    if (this.failure === undefined) this.failure = error;
    const failure = this.failure;
    for (const reader of this.readers.splice(0)) reader.reject(failure);
    this.ackWaiter?.reject(failure);
    this.broadcastWaiter?.reject(failure);
    return failure;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
