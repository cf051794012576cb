/**
 * One conversation with one device. Calls run one at a time in order; inside a call the
 * device may interrupt with ButtonRequest, PinMatrixRequest or PassphraseRequest, which are
 * answered here through the application's {@link UiHandlers} before the final reply is
 * returned (shared PROTOCOL.md §6). Aborting a call sends Cancel and waits for the device's
 * Failure so the next call starts on a clean line.
 *
 * Secrets: the PIN and passphrase pass through here only on their way into a message;
 * they are never put into an error or an event.
 */
import { withSignal } from '../abort.js';
import { TrezorError, isTrezorError } from '../errors.js';
import {
  decodeMessage,
  encodeMessage,
  type AnyMessage,
  type Capability,
  type MessageMap,
  type MessageName,
} from '../messages/index.js';
import type { MessageLink } from '../protocol/link.js';
import type { DeviceDescriptor } from '../transport/types.js';
import { hasCapability, modelOf } from '../models.js';
import { THP_ONLY_MESSAGE, failureToError } from './failure.js';
import type { ButtonRequestInfo, PassphraseAnswer, PinRequestKind, UiHandlers, WordRequestKind } from './ui.js';

export type Features = MessageMap['Features'];

/**
 * A frozen copy of decoded Features for `trezor.features`: lists frozen, bytes copied (a typed
 * array cannot be frozen), so nothing a caller does to it reaches the session's own state.
 */
function freezeFeatures(features: Features): Readonly<Features> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(features)) {
    if (value instanceof Uint8Array) copy[key] = value.slice();
    else if (Array.isArray(value)) copy[key] = Object.freeze([...value]);
    else copy[key] = value;
  }
  return Object.freeze(copy) as Readonly<Features>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** The unqueued call function a {@link Trezor.exclusive} flow receives. */
export type CallFn = <N extends MessageName>(name: N, message: MessageMap[N], options?: CallOptions) => Promise<AnyMessage>;

type EventMap = {
  button: ButtonRequestInfo;
  disconnect: undefined;
};

const PIN_KINDS: Record<string, PinRequestKind> = {
  PinMatrixRequestType_Current: 'current',
  PinMatrixRequestType_NewFirst: 'newFirst',
  PinMatrixRequestType_NewSecond: 'newSecond',
  PinMatrixRequestType_WipeCodeFirst: 'wipeCodeFirst',
  PinMatrixRequestType_WipeCodeSecond: 'wipeCodeSecond',
};
const WORD_KINDS: Record<string, WordRequestKind> = {
  WordRequestType_Plain: 'plain',
  WordRequestType_Matrix9: 'matrix9',
  WordRequestType_Matrix6: 'matrix6',
};
/** What a WordAck may carry: a BIP-39 word (at most 8 letters, legacy BIP39_MAX_WORD_LEN) or a grid key. */
const WORD_ANSWER: Record<WordRequestKind, RegExp> = { plain: /^[a-z]{1,8}$/, matrix9: /^[1-9]$/, matrix6: /^[1-6]$/ };
/** How long to wait for the device's Failure after sending Cancel. */
const CANCEL_DRAIN_MS = 10_000;
/** Trezor firmware limit on PassphraseAck.passphrase (bytes of UTF-8). */
const MAX_PASSPHRASE_BYTES = 50;

/**
 * A connected Trezor. Get one from `connect()`.
 * @example const { message } = await trezor.call('Ping', { message: 'hi' })
 */
export class Trezor {
  private currentFeatures: Readonly<Features>;
  readonly device: DeviceDescriptor;
  private readonly link: MessageLink;
  private readonly ui: UiHandlers;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /**
   * Cancels the call in flight on the device (close(), an unplug) instead of leaving it waiting
   * for the user; set only while a call runs. (A hook, not an AbortController the calls listen
   * to: no listener to add and remove on every call.)
   */
  private cancelCall: (() => void) | undefined;
  private readonly listeners: { [K in keyof EventMap]: Set<(e: EventMap[K]) => void> } = {
    button: new Set(),
    disconnect: new Set(),
  };
  private readonly stopWatching: () => void;
  private pendingRead: Promise<AnyMessage> | undefined;
  /** Set when a Cancel went unanswered: the next call resynchronises first. */
  private outOfSync = false;
  /** Session id from the last Initialize answer (GetFeatures answers may omit it). */
  private session: Uint8Array | undefined;

  /** @internal use connect() */
  constructor(
    link: MessageLink,
    device: DeviceDescriptor,
    ui: UiHandlers,
    features: Features,
    /** How long to wait for the device's Failure after a Cancel (ms). */
    private readonly cancelTimeout = CANCEL_DRAIN_MS,
  ) {
    this.link = link;
    this.device = device;
    this.ui = ui;
    this.currentFeatures = freezeFeatures(features);
    this.session = features.session_id;
    this.stopWatching = link.onDisconnect(() => {
      this.closed = true;
      // A call waiting on the user (a PIN or passphrase dialog) ends now, not when the user
      // answers a device that is gone: its dialogs get their abort and the call its
      // DeviceDisconnected from the failed read.
      this.cancelCall?.();
      this.emit('disconnect', undefined);
    });
  }

  /**
   * Features from the last Initialize / GetFeatures, frozen: refresh them with getFeatures()
   * (after ApplySettings, for instance), never by writing to them.
   * @example if (trezor.features.pin_protection) showPinHint()
   */
  get features(): Readonly<Features> {
    return this.currentFeatures;
  }

  /** The firmware session id (resumes the cached passphrase on the next Initialize). */
  get sessionId(): Uint8Array | undefined {
    return this.session;
  }

  /**
   * Listen to 'button' or 'disconnect'. Returns an unsubscribe function. 'button' (as
   * `ui.button`) comes once the ButtonAck has been written: the device is now waiting for the
   * user, so a test may press through the debug link right in the listener, with no wait.
   * @example trezor.on('button', () => void debug.press('yes'))
   */
  on<K extends keyof EventMap>(event: K, listener: (e: EventMap[K]) => void): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /**
   * Send one message and return the device's final answer (after PIN, passphrase and
   * button prompts). A `Failure` answer is thrown as a TrezorError.
   */
  call<N extends MessageName>(name: N, message: MessageMap[N], options: CallOptions = {}): Promise<AnyMessage> {
    return this.exclusive((call) => call(name, message, options));
  }

  /**
   * Like {@link call}, but the answer must be of type `expected` (else UnexpectedMessage).
   * @example const addr = await trezor.typedCall('GetAddress', { address_n }, 'Address')
   */
  async typedCall<N extends MessageName, R extends MessageName>(
    name: N,
    message: MessageMap[N],
    expected: R,
    options: CallOptions = {},
  ): Promise<MessageMap[R]> {
    return expectType(await this.call(name, message, options), expected);
  }

  /**
   * Run a multi-message flow (e.g. the SignTx / TxAck loop) without other calls interleaving.
   * The flow gets an unqueued `call` function.
   */
  exclusive<T>(flow: (call: CallFn) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => flow((name, message, options) => this.roundTrip(name, message, options)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Fetch fresh Features without touching the session. */
  async getFeatures(options?: CallOptions): Promise<Readonly<Features>> {
    await this.typedCall('GetFeatures', {}, 'Features', options);
    return this.features;
  }

  /** Ping the device; resolves with the echoed text. */
  async ping(message = 'ping', options?: CallOptions & { buttonProtection?: boolean }): Promise<string> {
    const answer = await this.typedCall(
      'Ping',
      { message, ...(options?.buttonProtection ? { button_protection: true } : {}) },
      'Success',
      options,
    );
    return answer.message ?? '';
  }

  /** Lock the device: the next seed operation asks for the PIN again (sessions survive). */
  async lock(options?: CallOptions): Promise<void> {
    await this.typedCall('LockDevice', {}, 'Success', options);
  }

  /**
   * Send Initialize (resuming `sessionId`, by default the current one; `null` starts a new
   * session) and refresh Features. The returned Features carry the session id the device gave.
   */
  async initialize(sessionId: Uint8Array | null | undefined = this.sessionId, options?: CallOptions): Promise<Readonly<Features>> {
    const message = sessionId ? { session_id: sessionId } : {};
    await this.exclusive(async (call) => {
      // A Trezor One left waiting for ButtonAck answers Initialize with Failure(ActionCancelled)
      // first; one retry lands the real Features.
      try {
        return expectType(await call('Initialize', message, options), 'Features');
      } catch (e) {
        if (!isTrezorError(e, 'ActionCancelled')) throw e;
        return expectType(await call('Initialize', message, options), 'Features');
      }
    });
    // A model whose firmware speaks only THP answers v1 with Failure InvalidProtocol; should one
    // still hand out v1 Features, it is refused the same way (its bootloader speaks v1: allowed).
    if (modelOf(this.features)?.thpOnly && !this.features.bootloader_mode) throw new TrezorError('NotSupported', THP_ONLY_MESSAGE);
    return this.features;
  }

  /**
   * Release the device. A call in flight is cancelled on the device (it rejects with
   * ActionCancelled, or Timeout if the device does not answer the Cancel); further calls reject
   * with DeviceDisconnected.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    this.cancelCall?.();
    await this.queue;
    await this.link.close();
  }

  private emit<K extends keyof EventMap>(event: K, value: EventMap[K]): void {
    for (const listener of this.listeners[event]) invokeCallback(listener, value);
  }

  /**
   * Write one message. The link writes one message at a time, so a Cancel sent while a long
   * request is still going out follows it instead of landing inside it.
   */
  private send<N extends MessageName>(name: N, message: MessageMap[N]): Promise<void> {
    try {
      return this.link.write(encodeMessage(name, message));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Read one whole message from the device. A Timeout from the link means the device went
   * silent in the middle of a message: it is broken or gone, so the session ends (the link has
   * released the device, and a new connect() can open it again) and the call fails with Timeout.
   */
  private async readMessage(): Promise<AnyMessage> {
    let wire;
    try {
      wire = await this.link.read();
    } catch (error) {
      if (isTrezorError(error, 'Timeout') && !this.closed) {
        this.closed = true;
        this.stopWatching();
        void this.link.close().catch(() => undefined);
      }
      throw error;
    }
    return decodeMessage(wire.type, wire.payload);
  }

  /**
   * Next message, or the rejection of `deadline`. A read that lost the race stays pending and
   * is handed to the next caller, so no report is ever dropped.
   */
  private async receive(deadline?: Promise<never>): Promise<AnyMessage> {
    let read = this.pendingRead;
    if (!read) {
      const started = this.readMessage();
      // A failed read is not handed on: the next caller starts a fresh one.
      started.catch(() => {
        if (this.pendingRead === started) this.pendingRead = undefined;
      });
      read = this.pendingRead = started;
    }
    const message = await (deadline ? Promise.race([read, deadline]) : read);
    this.pendingRead = undefined;
    return message;
  }

  /**
   * Bring the line back in step after a Cancel went unanswered (what trezorlib does when it
   * takes over a device): Ping with a random nonce, then drop everything up to the Success
   * that echoes it. Bounded by `cancelTimeout`; on failure the session stays out of sync.
   */
  private async resync(): Promise<void> {
    const random = crypto.getRandomValues(new Uint8Array(8));
    const nonce = `SYNC${Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('')}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TrezorError('Timeout', 'The device did not answer; reconnect it')), this.cancelTimeout);
    });
    deadline.catch(() => undefined);
    try {
      await this.send('Ping', { message: nonce });
      for (;;) {
        const reply = await this.receive(deadline);
        if (reply.type === 'Success' && reply.message.message === nonce) break;
      }
      this.outOfSync = false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One request and its aux exchanges, up to the final answer. */
  private async roundTrip<N extends MessageName>(name: N, message: MessageMap[N], options: CallOptions = {}): Promise<AnyMessage> {
    if (this.closed) throw new TrezorError('DeviceDisconnected', 'The connection to the device is closed');
    const { signal } = options;
    if (signal?.aborted) throw cancelled(signal);
    if (this.outOfSync) await this.resync();
    // The UI callbacks get a signal that also fires when the call ends, so dialogs close. It is
    // made when first needed: aborting a controller allocates a DOMException, which every call
    // paid for before (a sixth of the host's CPU on a getAddress against the in-memory device).
    let uiAbort: AbortController | undefined;
    const uiSignal = () => (uiAbort ??= new AbortController()).signal;
    let cancelSent: Promise<void> | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let expire: (e: unknown) => void = () => {};
    // Rejects once Cancel has been out for `cancelTimeout` ms without the device answering.
    const deadline = new Promise<never>((_, reject) => (expire = reject));
    deadline.catch(() => undefined);
    const sendCancel = () => {
      if (!cancelSent) {
        cancelSent = this.send('Cancel', {}).catch(() => undefined);
        timer = setTimeout(() => {
          // The device's late answer would be taken for the next call's: resynchronise first.
          this.outOfSync = true;
          expire(new TrezorError('Timeout', 'The device did not answer Cancel in time'));
        }, this.cancelTimeout);
      }
      (uiAbort ??= new AbortController()).abort(signal?.reason);
      return cancelSent;
    };
    const drainAfterCancel = async () => {
      await sendCancel();
      for (;;) if ((await this.receive(deadline)).type === 'Failure') return;
    };
    const onAbort = () => void sendCancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.cancelCall = onAbort;
    try {
      // A Cancel the caller sends itself waits for its Failure no longer than an abort's does.
      if (name === 'Cancel') await sendCancel();
      else await this.send(name, message);
      for (;;) {
        const reply = await this.receive(deadline);
        if (cancelSent) {
          // After Cancel only the Failure closes the exchange; anything else is a reply that
          // crossed our Cancel on the wire.
          if (reply.type === 'Failure') throw signal?.aborted ? cancelled(signal) : failureToError(reply.message);
          // A ButtonRequest that crossed our Cancel is not acked: the device takes the Cancel
          // in its place and answers with the Failure we wait for.
          continue;
        }
        switch (reply.type) {
          case 'Failure':
            throw failureToError(reply.message);
          case 'ButtonRequest': {
            const info: ButtonRequestInfo = {};
            if (reply.message.code !== undefined) info.code = String(reply.message.code);
            if (reply.message.pages !== undefined) info.pages = reply.message.pages;
            if (reply.message.name !== undefined) info.name = reply.message.name;
            // The ButtonAck goes out first: the 'button' moment means the device is now waiting
            // for the user, so a test may press through the debug link right in the listener.
            // (A listener that aborts the call sends Cancel after the ack; the device, waiting
            // for its button, answers it with the Failure the call then waits for.)
            await this.send('ButtonAck', {});
            if (!cancelSent) {
              this.emit('button', info);
              invokeCallback(this.ui.button, info);
            }
            continue;
          }
          case 'PinMatrixRequest': {
            const type = PIN_KINDS[String(reply.message.type)] ?? 'current';
            const pin = await this.askUi(
              this.ui.pin && (() => this.ui.pin!({ type, signal: uiSignal() })),
              'PinCancelled',
              uiSignal(),
              drainAfterCancel,
              signal,
            );
            if (typeof pin !== 'string' || !/^[1-9]{1,50}$/.test(pin)) {
              await drainAfterCancel();
              throw new TrezorError('InvalidParameters', 'PIN must be 1 to 50 matrix positions, each 1-9', { field: 'pin' });
            }
            await this.send('PinMatrixAck', { pin });
            continue;
          }
          case 'WordRequest': {
            const type = WORD_KINDS[String(reply.message.type)] ?? 'plain';
            const answer = await this.askUi(
              this.ui.word && (() => this.ui.word!({ type, signal: uiSignal() })),
              'ActionCancelled',
              uiSignal(),
              drainAfterCancel,
              signal,
            );
            const word = typeof answer === 'string' ? answer.trim().toLowerCase() : '';
            if (!WORD_ANSWER[type].test(word)) {
              await drainAfterCancel();
              // The answer may be a seed word: it is never repeated.
              const expected = type === 'plain' ? 'a word of 1 to 8 letters' : `one key, 1 to ${type === 'matrix9' ? 9 : 6}`;
              throw new TrezorError('InvalidParameters', `word: expected ${expected}`, { field: 'word' });
            }
            await this.send('WordAck', { word });
            continue;
          }
          case 'PassphraseRequest': {
            const onDeviceAvailable = this.hasCapability('Capability_PassphraseEntry');
            const answer: PassphraseAnswer = this.ui.passphrase
              ? await this.askUi(
                  () => this.ui.passphrase!({ onDeviceAvailable, signal: uiSignal() }),
                  'PassphraseCancelled',
                  uiSignal(),
                  drainAfterCancel,
                  signal,
                )
              : { passphrase: '' };
            // The handler's answer is checked as untrusted input: a wrong shape cancels the device.
            const given = (typeof answer === 'object' && answer !== null ? answer : {}) as { passphrase?: unknown; onDevice?: unknown };
            if (given.onDevice === true) {
              if (!onDeviceAvailable) {
                await drainAfterCancel();
                throw new TrezorError('NotSupported', 'This device cannot take the passphrase on its own screen');
              }
              await this.send('PassphraseAck', { on_device: true });
            } else {
              const passphrase = typeof given.passphrase === 'string' ? given.passphrase : undefined;
              if (passphrase === undefined || new TextEncoder().encode(passphrase).length > MAX_PASSPHRASE_BYTES) {
                await drainAfterCancel();
                throw new TrezorError('InvalidParameters', `Passphrase must be a string of at most ${MAX_PASSPHRASE_BYTES} UTF-8 bytes`, {
                  field: 'passphrase',
                });
              }
              await this.send('PassphraseAck', { passphrase });
            }
            continue;
          }
          case 'Features':
            if (name === 'Initialize' || name === 'GetFeatures') this.currentFeatures = freezeFeatures(reply.message);
            if (name === 'Initialize') this.session = reply.message.session_id;
            return reply;
          default:
            return reply;
        }
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (this.cancelCall === onAbort) this.cancelCall = undefined;
      uiAbort?.abort();
    }
  }

  /**
   * Ask a UI handler. A missing handler or a rejection cancels the call with `code`; an
   * aborted call wins over a handler that never settles.
   */
  private async askUi<T>(
    ask: (() => Promise<T>) | undefined,
    code: 'PinCancelled' | 'PassphraseCancelled' | 'ActionCancelled',
    uiSignal: AbortSignal,
    drainAfterCancel: () => Promise<void>,
    callSignal: AbortSignal | undefined,
  ): Promise<T> {
    const what = code === 'PinCancelled' ? 'PIN' : code === 'PassphraseCancelled' ? 'passphrase' : 'word';
    if (!ask) {
      await drainAfterCancel();
      const handler = what === 'PIN' ? 'pin' : what;
      throw new TrezorError(code, `The device asked for the ${what === 'word' ? 'next recovery word' : what} and no ui.${handler} handler is set`);
    }
    try {
      return await withSignal(Promise.resolve().then(ask), uiSignal);
    } catch (cause) {
      await drainAfterCancel();
      if (callSignal?.aborted) throw cancelled(callSignal);
      throw new TrezorError(code, `The ${what} entry was cancelled`, { cause: isTrezorError(cause) ? cause : undefined });
    }
  }

  /**
   * Whether the device lists `name` in Features.capabilities, spelled as the decoder names it or
   * as its wire number (Features built by hand, or by another decoder).
   * @example trezor.hasCapability('Capability_PassphraseEntry') // false on a Trezor One
   */
  hasCapability(name: Capability): boolean {
    return hasCapability(this.features, name);
  }
}

/**
 * Run the ack loop of a multi-message flow (SignTx, EthereumSignTx, EthereumSignTypedData)
 * inside `exclusive`. When the host fails between two calls (its own error: bad data, a request
 * it cannot answer), the device is still waiting for an ack, so Cancel is sent and its Failure
 * drained before the error is rethrown; the next call then starts on a clean line. Errors of a
 * call itself (device Failure, abort, disconnect) have ended the device's flow already.
 * @example await trezor.exclusive((call) => cancelOnHostError(call, async (call) => ackLoop(call)))
 */
export async function cancelOnHostError<T>(call: CallFn, flow: (call: CallFn) => Promise<T>): Promise<T> {
  let deviceError = false;
  const tracked: CallFn = async (name, message, options) => {
    try {
      return await call(name, message, options);
    } catch (e) {
      deviceError = true;
      throw e;
    }
  };
  try {
    return await flow(tracked);
  } catch (e) {
    if (!deviceError) await call('Cancel', {}).catch(() => undefined);
    throw e;
  }
}

/**
 * Call an application callback (event listener, button hint, progress report) for its side
 * effects only: a throw, or the rejection of a promise it returns (an async listener), is
 * swallowed, so the application's bug neither breaks a device exchange nor surfaces as an
 * unhandled rejection.
 * @example invokeCallback(options.onProgress, { phase: 'input', index: 0, total: 2 })
 */
export function invokeCallback<A extends unknown[]>(callback: ((...args: A) => unknown) | undefined, ...args: A): void {
  if (!callback) return;
  try {
    const result = callback(...args);
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') (result as PromiseLike<unknown>).then(undefined, () => undefined);
  } catch {
    // ignored: see above
  }
}

function cancelled(signal: AbortSignal): TrezorError<'ActionCancelled'> {
  return new TrezorError('ActionCancelled', 'The call was aborted', { cause: signal.reason });
}

/**
 * Narrow a reply to the expected type or throw UnexpectedMessage.
 * @example const { address } = expectType(await call('GetAddress', { address_n }), 'Address')
 */
export function expectType<R extends MessageName>(reply: AnyMessage, expected: R): MessageMap[R] {
  if (reply.type !== expected) {
    throw new TrezorError('UnexpectedMessage', `Expected ${expected} from the device, got ${reply.type}`);
  }
  return reply.message as MessageMap[R];
}
