/**
 * VirtualTrezor: a software Trezor that speaks the real wire protocol (64-byte v1 reports of
 * protobuf messages) and the emulator's debug link, so the whole library — and any other
 * client, such as trezorctl over `listenUdp()` — can be tested without hardware or the
 * official emulator. It plays a Trezor One with firmware 1.14.1 (PIN matrix and passphrase on
 * the host), a Model T with firmware 2.4.1 or 2.8.9, a Safe 3 (T2B1) or a Safe 5 (T3T1) with
 * firmware 2.8.9 (PIN and passphrase entered on the device); the `firmware` option claims
 * another version and turns on what came with it (firmware.ts).
 *
 * How it is built: one "firmware" loop takes whole messages from the wire and runs the
 * handler registered for each request (handlers/*.ts, against the contract in context.ts).
 * A handler that needs the user or the host (a button, the PIN, the passphrase, a TxAck)
 * waits inside this file, which applies each firmware's rules for what may interrupt it:
 *   - Trezor One, while waiting for ButtonAck / PinMatrixAck / PassphraseAck, is in "tiny"
 *     mode: only single-report PinMatrixAck, ButtonAck, PassphraseAck, Cancel and Initialize
 *     count; Cancel fails the flow, Initialize aborts it and is answered with Features
 *     (legacy/firmware/messages.c msg_read_tiny, protect.c, fsm.c fsm_sendFailure).
 *   - Model T aborts the running flow on any unexpected message and then processes that
 *     message as a fresh request; Cancel is answered with Failure(ActionCancelled).
 * The debug link is served as messages arrive, independently of the wire loop, like the
 * emulator's second interface: DebugLinkGetState reads the state, DebugLinkDecision presses a
 * button or types text (queued on Model T, taken only while a button is pending on the One).
 * What Features and DebugLinkState contain in each state is firmware.ts's (buildFeatures,
 * buildDebugLinkState), with the storage layout they read (DeviceStorage).
 *
 * Nothing here imports Node built-ins: the device runs in browsers. UDP lives in ./udp.ts,
 * behind the Node-only entry trezor-direct/testing/node (../node.ts).
 */
import type { HDKey } from '@scure/bip32';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  decodeAs,
  encodeMessage,
  messageName,
  type DebugLinkDecision,
  type DebugLinkGetState,
  type DebugLinkState,
  type FailureType,
  type Features,
  type MessageMap,
  type MessageName,
} from '../../messages/index.js';
import { describeValue, invalidParameter } from '../../errors.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../../protocol/v1.js';
import { memoryTransport, type MemoryDeviceEnd } from '../../transport/memory.js';
import type { Transport } from '../../transport/types.js';
import { DebugLink } from '../debuglink.js';
import { loadTestingNode } from '../node-only.js';
import { nextMacrotask, realClock, type Clock } from './clock.js';
import { Keychain, seedOf } from './keychain.js';

export { mnemonicToSeed } from './keychain.js';
import {
  DeviceFailure,
  type ConfirmOptions,
  type DeviceContext,
  type FailureName,
  type Handler,
  type HandlerTable,
  type Layout,
  type Model,
  type Reply,
} from './context.js';
import {
  ALLOWED_WHILE_LOCKED,
  ALLOWED_WHILE_LOCKED_289,
  AUTOLOCK_DEFAULT_MS,
  type LifecycleScreen,
  MAX_PASSPHRASE_BYTES,
  MAX_SESSIONS,
  PIN_MAX_TRIES,
  PROFILES,
  T1_STRING_LIMITS,
  TINY_MESSAGES,
  buildDebugLinkState,
  buildFeatures,
  parseFirmware,
  profileFor,
  unknownMessageText,
  type DeviceStorage,
  type FirmwareProfile,
} from './firmware.js';
import { mnemonicProblem } from './bip39.js';
import { RecordedChoiceQueue, type RecordedChoices } from './recorded.js';
import { namesScreens, screen } from './screens.js';
import { coinHandlers } from './handlers/index.js';
import { managementHandlers } from './handlers/management.js';
import { bootloaderHandlers } from './handlers/bootloader.js';
import { cryptoHandlers } from './handlers/crypto.js';
import { PAIRING_MESSAGES, thpHandlers } from './handlers/thp.js';
import { ThpDevice, type ThpOrigin } from './thp.js';

export interface VirtualTrezorOptions {
  /** BIP-39 mnemonic; without it the device starts blank (uninitialized). */
  mnemonic?: string;
  /** PIN (digits 1-9 on the Trezor One, 0-9 on the Model T). */
  pin?: string;
  passphraseProtection?: boolean;
  /**
   * 'T1B1' (Trezor One, default), 'T2T1' (Model T), 'T2B1' (Safe 3) or 'T3T1' (Safe 5).
   * @example new VirtualTrezor({ model: 'T3T1' }) // a Safe 5 with firmware 2.8.9
   */
  model?: Model;
  /**
   * Firmware version the device claims, e.g. '1.12.1' (T1B1) or '2.8.9' (T2T1); default
   * '1.14.1' (T1B1), '2.4.1' (T2T1), '2.8.9' (T2B1, T3T1): the versions of the recorded
   * emulators whose transcripts it replays. Features report it, and the handlers turn on what
   * came with it: taproot (1.10.4 / 2.4.3, including no previous transactions when every input
   * is taproot), EIP-1559 (1.10.4 / 2.4.2), EthereumSignTypedData (Core 2.4.3),
   * EthereumSignTypedHash (Trezor One 1.10.5), UnlockPath (1.12.1 / 2.5.3) and the descriptor in
   * GetPublicKey (Core 2.7.0); below those versions the device refuses them (the Ethereum
   * messages and UnlockPath as unknown messages, as that firmware answers them; taproot with
   * Failure_DataError). The Features layout, screens and texts follow one recorded firmware: a
   * Model T below 2.8.1 plays 2.4.1, from 2.8.1 on 2.8.9 (ButtonRequest names and pages, its
   * decline flows); the Safe models play 2.8.9 and take claims from 2.8.1 on (firmware.ts
   * layoutOf).
   * @example new VirtualTrezor({ model: 'T2T1', firmware: '2.8.9' })
   */
  firmware?: string;
  /**
   * Start in bootloader mode: Features.bootloader_mode, and a firmware image can be installed
   * (updateFirmware of trezor-direct/management); afterwards the device runs the image's version.
   * @example new VirtualTrezor({ model: 'T2T1', bootloader: true })
   */
  bootloader?: boolean;
  label?: string;
  /**
   * Press "yes" on every confirmation by itself (and, on the Model T, type the configured PIN
   * and an empty passphrase). For demos; tests press through the debug link.
   */
  autoConfirm?: boolean;
  /**
   * Told once, after the device has waited {@link UNATTENDED_WAIT_MS} for a button press (or
   * input on the Model T's screen) that nobody can give: autoConfirm is off and no debug link
   * is attached. Default: console.warn. Without it a script that forgot both would wait
   * forever (Node then exits with code 13 and nothing said). Asking for `virtual.debugLink()`
   * counts as attaching one, so a page that presses through it when its user clicks is not warned.
   * @example new VirtualTrezor({ mnemonic, onWaiting: (message) => log.warn(message) })
   */
  onWaiting?: (message: string) => void;
  /**
   * Speak the Trezor Host Protocol instead of protocol v1 (./thp.ts): channels, the encrypted
   * handshake, pairing (code entry with the code on the screen and in
   * DebugLinkGetPairingInfo, QR code, NFC, skip), credentials, ThpCreateNewSession. A v1 report
   * gets Failure(InvalidProtocol), as from THP firmware. Default: on for 'T3W1' (the Safe 7
   * speaks THP only), off for the others; the Trezor One has no THP.
   * @example new VirtualTrezor({ model: 'T3W1', thp: true, mnemonic })
   */
  thp?: boolean;
  /** More handler tables, consulted before the built-in ones. */
  handlers?: readonly HandlerTable[];
  /** Time source for auto-lock, the busy screen and PIN delays (default: the real clock). */
  clock?: Clock;
  /**
   * Test only, for transcript replay: random choices the device makes as a recording shows them
   * instead of drawing them — the internal entropy of each ResetDevice round and the word order
   * and fake words of a Trezor One scrambled-words recovery (./recorded.ts says why). With it the
   * device's secrets are the recording's: never use it for anything else.
   * @example new VirtualTrezor({ recordedChoices: recordedChoices(transcript) }) // trezor-direct/testing
   */
  recordedChoices?: RecordedChoices;
}

/** The UDP server of trezor-direct/testing/node (./udp.ts serveUdp). */
type ServeUdp = (device: DeviceRuntime, port: number) => Promise<{ port: number; close(): Promise<void> }>;

/** How long the device waits for a press nobody can give before it says so (real time, ms). */
export const UNATTENDED_WAIT_MS = 1_000;

/** A complete message received on one of the device's links. */
interface Incoming {
  type: number;
  payload: Uint8Array;
  /** How many 64-byte reports carried it (the Trezor One's tiny mode only reads single reports). */
  reports: number;
  /** THP mode: the channel and session it came on. */
  thp?: ThpOrigin;
}

export interface Session {
  id: Uint8Array;
  /** The seed of this session and the keys derived from it (see ./keychain.ts). */
  keys?: Keychain;
}

/** Thrown to abandon the running flow and process `message` as a fresh request. */
class Redispatch extends Error {
  constructor(readonly message_: Incoming) {
    super('redispatch');
  }
}

/** Thrown to stop the firmware loop when the device is closed. */
class Closed extends Error {}

type Handlers = { [N in MessageName]?: Handler<N> | CoreHandler<N> };

/** What the built-in management handlers get: the coin contract plus the device itself. */
export interface CoreContext extends DeviceContext {
  readonly device: DeviceRuntime;
}

export type CoreHandler<N extends MessageName = MessageName> = (ctx: CoreContext, request: MessageMap[N]) => Promise<Reply>;
export type CoreHandlerTable = { [N in MessageName]?: CoreHandler<N> };

/** Reassembles reports of one link into messages. */
class Link {
  private state: DecodeState | undefined;
  private reports = 0;

  constructor(private readonly deliver: (message: Incoming) => void) {}

  reset(): void {
    this.state = undefined;
    this.reports = 0;
  }

  feed(report: Uint8Array): void {
    const starting = this.state === undefined;
    try {
      this.state = decodeReport(this.state, report);
    } catch {
      // A broken continuation or an absurd length: drop what was collected, as the firmware does.
      this.reset();
      return;
    }
    if (this.state === undefined) return; // stray report before a header
    this.reports = starting ? 1 : this.reports + 1;
    const done = completedMessage(this.state);
    if (done) {
      const reports = this.reports;
      this.reset();
      this.deliver({ type: done.type, payload: done.payload, reports });
    }
  }
}

/** Randomness: the platform's CSPRNG until DebugLinkReseedRandom asks for a repeatable stream. */
class Random {
  private seed: Uint8Array | undefined;
  private counter = 0;

  reseed(value: number): void {
    this.seed = new Uint8Array(4);
    new DataView(this.seed.buffer).setUint32(0, value >>> 0);
    this.counter = 0;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    if (!this.seed) {
      for (let i = 0; i < length; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, i + 65536));
      return out;
    }
    for (let i = 0; i < length; i += 32) {
      const block = new Uint8Array(this.seed.length + 4);
      block.set(this.seed);
      new DataView(block.buffer).setUint32(this.seed.length, this.counter++);
      out.set(sha256(block).subarray(0, Math.min(32, length - i)), i);
    }
    return out;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    const limit = Math.floor(0x1_0000_0000 / n) * n;
    for (;;) {
      const v = new DataView(this.bytes(4).buffer).getUint32(0);
      if (v < limit) return v % n;
    }
  }
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function freshStorage(random: Random): DeviceStorage {
  return {
    initialized: false,
    passphraseProtection: false,
    passphraseAlwaysOnDevice: false,
    imported: false,
    needsBackup: false,
    noBackup: false,
    unfinishedBackup: false,
    safetyChecks: 'Strict',
    autoLockDelayMs: AUTOLOCK_DEFAULT_MS,
    experimentalFeatures: false,
    displayRotation: 0,
    hidePassphraseFromHost: false,
    pinFailures: 0,
    deviceId: hex(random.bytes(12)).toUpperCase(),
    u2fCounter: 0,
  };
}

/**
 * The device's firmware: state, the wire loop and the waits. Internal; VirtualTrezor is the
 * public face. Management handlers reach it through `ctx.device`.
 */
export class DeviceRuntime {
  profile: FirmwareProfile;
  readonly model: Model;
  storage: DeviceStorage;
  /** Running the bootloader instead of the firmware. */
  bootloaderMode: boolean;
  /** A firmware is installed (the bootloader erases it before an upload). */
  firmwarePresent = true;
  unlocked = true;
  sessions: Session[] = [];
  current: Session | undefined;
  autoConfirm: boolean;
  readonly random = new Random();
  /** Trezor One entropy check: the keys of the seed being made, served to GetPublicKey meanwhile. */
  temporaryKeys: Keychain | undefined;
  /** Choices a replayed recording made (VirtualTrezorOptions.recordedChoices); empty otherwise. */
  readonly recorded: RecordedChoiceQueue;
  readonly clock: Clock;
  /** THP mode's wire layer (VirtualTrezorOptions.thp), undefined in protocol v1 mode. */
  readonly thp: ThpDevice | undefined;
  /** THP mode: where the request being served came from (its answers go there). */
  thpOrigin: ThpOrigin | undefined;
  /** THP mode: what the screen shows while a pairing waits for the host (the code). */
  pairingScreen: string | undefined;

  /** Digits of the PIN matrix on screen (Trezor One), keypad position order. */
  matrix: string | undefined;
  /** Backup word and recovery prompt on screen, for DebugLinkState. */
  lifecycle: LifecycleScreen = { resetWord: '', recoveryFakeWord: '', recoveryWordPos: 0 };
  /** What the screen shows, as text lines (Trezor One layout bytes, Model T tokens). */
  screen: string[] = ['Homescreen'];
  /** Pages of the current screen (Model T swipes between them). */
  private pages: string[][] = [['Homescreen']];
  private page = 0;
  /** Debug link: send DebugLinkLayout on every new screen (DebugLinkWatchLayout). */
  private watchLayout = false;
  /** Debug link: send DebugLinkLayout on the next new screen (DebugLinkDecision.wait). */
  private layoutWanted = false;
  busyUntil = 0;

  private readonly handlers: Handlers[];
  private readonly wireLink = new Link((m) => this.onWire(m));
  private readonly debugLink = new Link((m) => this.onDebug(m));
  private readonly inbox: Incoming[] = [];
  private wireOut: ((report: Uint8Array) => void) | undefined;
  private debugOut: ((report: Uint8Array) => void) | undefined;
  private waiters: (() => void)[] = [];
  private decisions: ('yes' | 'no')[] = [];
  private inputs: string[] = [];
  /** Trezor One: a button screen is up and takes debug decisions. */
  private awaitingDecision = false;
  /** A timer asked the running flow to stop with this failure (Model T auto-lock). */
  private interrupt: DeviceFailure | undefined;
  private inFlow = false;
  /** What an UnlockPath opened for the next request (legacy fsm.c unlock_path). */
  private unlockedPath: number | undefined;
  private blocked = false;
  private closed = false;
  private autoLockTimer: unknown;
  private readonly onWaiting: (message: string) => void;
  /** @internal a debug link client exists (VirtualTrezor.debugLink()); it connects on first use. */
  debugClientCreated = false;
  /** onWaiting has been called (it is called once per device). */
  private waitingTold = false;
  private autoLockDue = false;
  private lastActivity: number;

  constructor(options: VirtualTrezorOptions) {
    this.model = options.model ?? 'T1B1';
    if (!Object.hasOwn(PROFILES, this.model)) {
      throw new TypeError(`VirtualTrezor: model must be one of ${Object.keys(PROFILES).join(', ')}, got ${String(options.model)}`);
    }
    this.profile = profileFor(this.model, options.firmware === undefined ? undefined : parseFirmware(this.model, options.firmware));
    this.clock = options.clock ?? realClock;
    this.bootloaderMode = options.bootloader ?? false;
    this.autoConfirm = options.autoConfirm ?? false;
    this.recorded = new RecordedChoiceQueue(options.recordedChoices);
    this.onWaiting = options.onWaiting ?? ((message) => console.warn(message));
    this.storage = freshStorage(this.random);
    this.lastActivity = this.clock.now();
    const thp = options.thp ?? this.model === 'T3W1';
    if (thp && this.model === 'T1B1') throw new TypeError('VirtualTrezor: the Trezor One has no THP firmware');
    if (!thp && this.model === 'T3W1') throw new TypeError('VirtualTrezor: the Safe 7 (T3W1) speaks THP only');
    this.thp = thp
      ? new ThpDevice({
          model: this.model,
          out: () => this.wireOut,
          deliver: (message) => this.onWire(message),
          random: (n) => this.random.bytes(n),
          locked: () => this.storage.initialized && !this.unlocked,
        })
      : undefined;
    this.handlers = [...(options.handlers ?? []), ...(thp ? [thpHandlers] : []), managementHandlers, cryptoHandlers, ...coinHandlers] as Handlers[];
    if (options.mnemonic !== undefined) {
      // As LoadDevice without skip_checksum: a mistyped seed must not quietly derive other keys.
      const problem = mnemonicProblem(options.mnemonic);
      if (problem) throw invalidParameter('mnemonic', problem);
      this.load({
        mnemonic: options.mnemonic,
        pin: options.pin,
        passphraseProtection: options.passphraseProtection ?? false,
        label: options.label,
      });
    } else if (options.label !== undefined) {
      this.storage.label = options.label;
    }
    void this.run();
  }

  // ----- links -------------------------------------------------------------------------------

  /** Connect a wire sink (one at a time: the newest connection gets the answers). */
  attachWire(out: (report: Uint8Array) => void): { feed: (report: Uint8Array) => void; detach: () => void } {
    this.wireOut = out;
    this.wireLink.reset();
    this.thp?.reset();
    const thp = this.thp;
    return {
      feed: thp ? (packet) => thp.feed(packet) : (report) => this.wireLink.feed(report),
      detach: () => {
        if (this.wireOut === out) this.wireOut = undefined;
      },
    };
  }

  attachDebug(out: (report: Uint8Array) => void): { feed: (report: Uint8Array) => void; detach: () => void } {
    this.debugOut = out;
    this.debugLink.reset();
    return {
      feed: (report) => this.debugLink.feed(report),
      detach: () => {
        if (this.debugOut === out) this.debugOut = undefined;
      },
    };
  }

  /** Is a handler registered for this request? */
  supports(name: MessageName): boolean {
    return this.handlers.some((table) => table[name] !== undefined);
  }

  send<N extends MessageName>(name: N, message: MessageMap[N]): void {
    const { type, payload } = encodeMessage(name, message as never);
    if (this.thp) {
      if (this.thpOrigin) this.thp.sendApp(this.thpOrigin, type, payload);
      return;
    }
    const out = this.wireOut;
    if (!out) return; // nobody listening: the answer is lost, as on a device without a host
    for (const report of encodeReports(type, payload)) out(report);
  }

  private sendDebug<N extends MessageName>(name: N, message: MessageMap[N]): void {
    const { type, payload } = encodeMessage(name, message as never);
    const out = this.debugOut;
    if (!out) return;
    for (const report of encodeReports(type, payload)) out(report);
  }

  sendFailure(code: FailureName, text?: string): void {
    this.send('Failure', { code, message: text ?? this.failureText(code) });
  }

  failureText(code: FailureName): string {
    return this.profile.failureText[code as FailureType] ?? code.replace(/^Failure_/, '');
  }

  /** A DeviceFailure with the firmware's default text. */
  failure(code: FailureName, text?: string): DeviceFailure {
    return new DeviceFailure(code, text ?? this.failureText(code));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private changed(): Promise<void> {
    this.blocked = true;
    return new Promise<void>((resolve) => this.waiters.push(resolve)).finally(() => {
      this.blocked = false;
    });
  }

  /** True when the firmware waits for the host and has nothing left to read. */
  get idle(): boolean {
    return this.blocked && this.inbox.length === 0;
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.autoLockTimer);
    this.notify();
  }

  private onWire(message: Incoming): void {
    this.inbox.push(message);
    this.notify();
  }

  // ----- the firmware loop -------------------------------------------------------------------

  private async run(): Promise<void> {
    try {
      for (;;) {
        const message = await this.nextMessage();
        let pending: Incoming | undefined = message;
        while (pending) {
          const request: Incoming = pending;
          pending = undefined;
          this.inFlow = true;
          this.interrupt = undefined;
          try {
            await this.process(request);
          } catch (error) {
            if (error instanceof Closed) throw error;
            if (error instanceof Redispatch) pending = error.message_;
            else if (error instanceof DeviceFailure) this.sendFailure(error.failureCode, error.text);
            else this.sendFailure('Failure_FirmwareError', error instanceof Error ? error.message : String(error));
          } finally {
            this.inFlow = false;
            this.awaitingDecision = false;
            this.matrix = undefined;
          }
        }
        this.showIdle();
        if (this.autoLockDue) this.autoLock();
      }
    } catch (error) {
      if (!(error instanceof Closed)) throw error;
    }
  }

  /** Next wire message (main loop: everything counts). */
  private async nextMessage(): Promise<Incoming> {
    for (;;) {
      if (this.closed) throw new Closed();
      const message = this.inbox.shift();
      if (message) return message;
      await this.changed();
    }
  }

  private async process(request: Incoming): Promise<void> {
    this.touch();
    const name = messageName(request.type);
    if (request.thp) {
      // THP: answer on the request's channel and session; its session's seed is the current one.
      this.thpOrigin = request.thp;
      const channel = this.thp?.channel(request.thp.cid);
      this.current = channel?.sessions.get(request.thp.sessionId);
      if (channel && channel.state !== 'ENCRYPTED_TRANSPORT' && !(name && PAIRING_MESSAGES.has(name))) {
        this.sendFailure('Failure_UnexpectedMessage', 'Unexpected message');
        return;
      }
    }
    const handler = name ? this.findHandler(name) : undefined;
    if (!name || !handler) {
      this.sendFailure('Failure_UnexpectedMessage', unknownMessageText(this.model));
      return;
    }
    let message: MessageMap[typeof name];
    try {
      message = decodeAs(name, request.payload);
    } catch {
      this.sendFailure('Failure_DataError', this.model === 'T1B1' ? 'Data error' : 'Failed to decode message');
      return;
    }
    if (this.model === 'T1B1') {
      const overflow = this.stringOverflow(name, message as Record<string, unknown>);
      if (overflow) {
        this.sendFailure('Failure_DataError', overflow);
        return;
      }
    }
    if (this.model !== 'T1B1' && this.storage.initialized && !this.unlocked && !this.allowedWhileLocked().has(name)) {
      await this.unlock();
    }
    // An UnlockPath holds for the one request that follows it, whatever that is.
    const unlockedPath = this.unlockedPath;
    this.unlockedPath = undefined;
    const reply = await (handler as CoreHandler)(this.context(unlockedPath), message as never);
    this.send(reply.type, reply.message as never);
  }

  /** Core: the requests served without unlocking first. */
  private allowedWhileLocked(): ReadonlySet<string> {
    return namesScreens(this.profile.layout) ? ALLOWED_WHILE_LOCKED_289 : ALLOWED_WHILE_LOCKED;
  }

  private findHandler(name: MessageName): Handler | CoreHandler | undefined {
    if (this.bootloaderMode) return bootloaderHandlers[name] as CoreHandler | undefined;
    for (const table of this.handlers) {
      const handler = table[name];
      if (handler) return handler as Handler;
    }
    return undefined;
  }

  /** nanopb refuses a string longer than its field: "string overflow" (Trezor One). */
  private stringOverflow(name: string, message: Record<string, unknown>): string | undefined {
    for (const [field, value] of Object.entries(message)) {
      const limit = T1_STRING_LIMITS[`${name}.${field}`];
      if (limit !== undefined && typeof value === 'string' && utf8Length(value) > limit) return 'string overflow';
    }
    return undefined;
  }

  private context(unlockedPath?: number): CoreContext {
    const device = this;
    return {
      unlockedPath,
      unlockPath: (purpose) => {
        this.unlockedPath = purpose;
      },
      device,
      model: this.model,
      layout: this.profile.layout,
      version: this.profile.version,
      get safetyChecks() {
        return device.storage.safetyChecks;
      },
      root: () => this.root(),
      seed: () => this.seed(),
      keychain: () => this.keychain(),
      unlock: () => this.unlock(),
      confirm: (code, options) => this.confirm(code, options),
      popup: (text) => this.popup(text),
      ask: (name, message, expect) => this.ask(name, message, expect),
    };
  }

  // ----- timers --------------------------------------------------------------------------------

  /** Host activity: restart the auto-lock countdown. */
  touch(): void {
    this.lastActivity = this.clock.now();
    this.armAutoLock();
  }

  armAutoLock(): void {
    this.clock.clearTimeout(this.autoLockTimer);
    this.autoLockTimer = undefined;
    this.autoLockDue = false;
    if (!this.storage.pin || !this.unlocked) return;
    this.autoLockTimer = this.clock.setTimeout(() => {
      this.autoLockTimer = undefined;
      if (this.inFlow && this.model === 'T1B1') {
        // The One only locks from its idle loop.
        this.autoLockDue = true;
        return;
      }
      this.autoLock();
    }, this.storage.autoLockDelayMs);
  }

  private autoLock(): void {
    this.autoLockDue = false;
    if (!this.storage.pin || !this.unlocked) return;
    this.lock();
    if (this.inFlow) {
      this.interrupt = this.failure('Failure_ActionCancelled');
      this.notify();
    }
  }

  /** Sleep on the device clock; Cancel / Initialize end the wait (Trezor One PIN delay). */
  private async delay(ms: number, onCancel: () => never): Promise<void> {
    if (ms <= 0) return;
    let done = false;
    const timer = this.clock.setTimeout(() => {
      done = true;
      this.notify();
    }, ms);
    try {
      while (!done) {
        this.checkInterrupt();
        const message = this.inbox.shift();
        if (message) {
          if (this.model === 'T1B1') {
            const verdict = this.tiny(message, 'none');
            if (verdict === 'cancel') onCancel();
            if (verdict === 'initialize') throw new Redispatch(message);
          } else {
            this.coreUnexpected(message);
          }
          continue;
        }
        await this.changed();
      }
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private checkInterrupt(): void {
    if (this.closed) throw new Closed();
    if (this.interrupt) {
      const failure = this.interrupt;
      this.interrupt = undefined;
      throw failure;
    }
  }

  // ----- waiting for the host -------------------------------------------------------------------

  /**
   * Trezor One tiny mode: what a message means while waiting for `expect`.
   * Sends the Failure the firmware sends for a malformed or oversized ack.
   */
  private tiny(message: Incoming, expect: MessageName | 'none'): 'accept' | 'cancel' | 'initialize' | 'ignore' {
    const name = messageName(message.type);
    if (!name || !TINY_MESSAGES.has(name)) return 'ignore';
    if (message.reports > 1) {
      this.sendFailure('Failure_DataError', 'Message too big');
      return 'ignore';
    }
    let decoded: Record<string, unknown>;
    try {
      decoded = decodeAs(name, message.payload) as Record<string, unknown>;
    } catch {
      this.sendFailure('Failure_DataError', 'Data error');
      return 'ignore';
    }
    const overflow = this.stringOverflow(name, decoded);
    if (overflow) {
      this.sendFailure('Failure_DataError', overflow);
      return 'ignore';
    }
    if (name === 'PinMatrixAck' && typeof decoded.pin !== 'string') {
      this.sendFailure('Failure_DataError', 'missing required field');
      return 'ignore';
    }
    if (name === 'Cancel') return 'cancel';
    if (name === 'Initialize') return 'initialize';
    return name === expect ? 'accept' : 'ignore';
  }

  /** Model T: a message the flow did not ask for ends the flow. */
  private coreUnexpected(message: Incoming): never {
    if (messageName(message.type) === 'Cancel') throw this.failure('Failure_ActionCancelled');
    throw new Redispatch(message);
  }

  /**
   * Wait for an ack of type `expect` (ButtonAck, PinMatrixAck, PassphraseAck) under the
   * model's rules. `cancelCode` is what Cancel turns into on the Trezor One.
   */
  private async waitAck<N extends MessageName>(
    expect: N,
    cancelCode: FailureName,
    also?: () => boolean,
  ): Promise<MessageMap[N]> {
    for (;;) {
      this.checkInterrupt();
      const message = this.inbox.shift();
      if (!message) {
        await this.changed();
        continue;
      }
      if (this.model === 'T1B1') {
        const verdict = this.tiny(message, expect);
        if (verdict === 'cancel') throw this.failure(cancelCode);
        if (verdict === 'initialize') throw new Redispatch(message);
        if (verdict === 'accept') return decodeAs(expect, message.payload);
        continue;
      }
      if (messageName(message.type) === expect) {
        try {
          return decodeAs(expect, message.payload);
        } catch {
          throw this.failure('Failure_DataError', 'Failed to decode message');
        }
      }
      if (also?.()) continue;
      this.coreUnexpected(message);
    }
  }

  /** Next debug decision ('yes' / 'no'), or autoConfirm's yes. */
  private takeDecision(): 'yes' | 'no' | undefined {
    const decision = this.decisions.shift();
    if (decision) return decision;
    return this.autoConfirm ? 'yes' : undefined;
  }

  /**
   * Watch a wait for the user: when it outlasts UNATTENDED_WAIT_MS (real time, not the device
   * clock: this is advice to the host's developer, not firmware behaviour) while nothing can
   * answer it — no autoConfirm, no debug link attached — say so once through onWaiting. The
   * screen's text is not repeated: it may show a secret (recovery words during a backup).
   * Returns the function that ends the watch.
   */
  private watchUnattended(what: string): () => void {
    if (this.waitingTold) return () => {};
    const timer = setTimeout(() => {
      if (this.waitingTold || this.closed || this.autoConfirm || this.debugOut || this.debugClientCreated) return;
      this.waitingTold = true;
      const message =
        `VirtualTrezor: the device has been waiting for ${what} for ${UNATTENDED_WAIT_MS / 1000} s and nothing can give it: ` +
        "create it with { autoConfirm: true }, or press through its debug link, e.g. connect({ transport: virtual.transport(), " +
        "ui: { button: () => void virtual.debugLink().press('yes') } }).";
      try {
        this.onWaiting(message);
      } catch {
        // the host's logger failing must not break the device
      }
    }, UNATTENDED_WAIT_MS);
    return () => clearTimeout(timer);
  }

  /** Show a screen with a ButtonRequest and wait for the user's answer. */
  async confirm(code: string, options: ConfirmOptions = {}): Promise<boolean> {
    if (this.model === 'T1B1') this.decisions = [];
    this.show(options.text ?? code.replace(/^ButtonRequest_/, ''));
    this.sendButtonRequest(code, options);
    this.awaitingDecision = true;
    const stopWatch = this.watchUnattended(`a button press (${code})`);
    try {
      if (this.model === 'T1B1') {
        // protectButton(): decisions may come before or after the ack; both are needed.
        let acked = false;
        let decision: 'yes' | 'no' | undefined;
        for (;;) {
          this.checkInterrupt();
          decision ??= this.decisions.shift();
          if (acked) decision ??= this.autoConfirm ? 'yes' : undefined;
          if (acked && decision) break;
          const message = this.inbox.shift();
          if (!message) {
            await this.changed();
            continue;
          }
          const verdict = this.tiny(message, 'ButtonAck');
          if (verdict === 'cancel') throw this.failure('Failure_ActionCancelled');
          if (verdict === 'initialize') throw new Redispatch(message);
          if (verdict === 'accept') acked = true;
        }
        if (decision === 'no' && !options.allowNo) throw this.failure('Failure_ActionCancelled');
        return decision === 'yes';
      }
      await this.waitAck('ButtonAck', 'Failure_ActionCancelled');
      const decision = await this.waitFor(() => this.takeDecision());
      if (decision === 'no' && !options.allowNo) throw this.failure('Failure_ActionCancelled');
      return decision === 'yes';
    } finally {
      stopWatch();
      this.awaitingDecision = false;
    }
  }

  /**
   * ButtonRequest as the firmware fills it: 2.8.9 names every screen and counts its pages
   * (1 unless told); older firmware sends pages only for a paginated screen, and no name.
   */
  private sendButtonRequest(code: string, options: { pages?: number; name?: string }): void {
    const request: MessageMap['ButtonRequest'] = { code: code as MessageMap['ButtonRequest']['code'] };
    if (namesScreens(this.profile.layout)) {
      request.pages = options.pages ?? 1;
      request.name = options.name ?? code.replace(/^ButtonRequest_/, '').replace(/[A-Z]/g, (c, i: number) => `${i ? '_' : ''}${c.toLowerCase()}`);
    } else if (options.pages !== undefined) {
      request.pages = options.pages;
    }
    this.send('ButtonRequest', request);
  }

  /** ButtonRequest + ButtonAck only (Core before an on-device keyboard). */
  async buttonRequest(code: string, name?: string): Promise<void> {
    this.sendButtonRequest(code, { name });
    await this.waitAck('ButtonAck', 'Failure_ActionCancelled');
  }

  /** A screen without a ButtonRequest, answered through the debug link (DeviceContext.popup). */
  async popup(text: string): Promise<boolean> {
    this.show(text);
    this.awaitingDecision = true;
    const stopWatch = this.watchUnattended('a button press (a screen without a ButtonRequest)');
    try {
      return (await this.waitFor(() => this.takeDecision())) === 'yes';
    } finally {
      stopWatch();
      this.awaitingDecision = false;
    }
  }

  /**
   * Wait until `take` yields something; meanwhile a wire message ends the flow as the model
   * does (Model T: abort and redispatch; Trezor One: tiny rules).
   */
  private async waitFor<T>(take: () => T | undefined): Promise<T> {
    for (;;) {
      this.checkInterrupt();
      const value = take();
      if (value !== undefined) return value;
      const message = this.inbox.shift();
      if (message) {
        if (this.model === 'T1B1') {
          const verdict = this.tiny(message, 'none');
          if (verdict === 'cancel') throw this.failure('Failure_ActionCancelled');
          if (verdict === 'initialize') throw new Redispatch(message);
          continue;
        }
        this.coreUnexpected(message);
      }
      await this.changed();
    }
  }

  /** Text typed on the Model T through the debug link (or autoConfirm's default). */
  async takeInput(fallback: () => string | undefined): Promise<string> {
    const stopWatch = this.watchUnattended('input on its screen (PIN or passphrase)');
    try {
      return await this.waitFor(() => this.inputs.shift() ?? (this.autoConfirm ? fallback() : undefined));
    } finally {
      stopWatch();
    }
  }

  async ask<N extends MessageName>(
    name: N,
    message: MessageMap[N],
    expect?: readonly MessageName[],
  ): Promise<{ type: number; payload: Uint8Array }> {
    this.send(name, message);
    for (;;) {
      this.checkInterrupt();
      const incoming = this.inbox.shift();
      if (!incoming) {
        await this.changed();
        continue;
      }
      const incomingName = messageName(incoming.type);
      if (incomingName === 'Cancel') throw this.failure('Failure_ActionCancelled');
      if (incomingName === 'Initialize') throw new Redispatch(incoming);
      if (expect && (!incomingName || !expect.includes(incomingName))) throw new Redispatch(incoming);
      return { type: incoming.type, payload: incoming.payload };
    }
  }

  // ----- PIN -------------------------------------------------------------------------------------

  /**
   * Ask for a PIN the way the model does: Trezor One sends PinMatrixRequest and maps the
   * keypad positions through a fresh scrambled matrix; Model T sends ButtonRequest(PinEntry)
   * and takes the digits typed through the debug link. Returns the digits.
   */
  async requestPin(
    kind: 'PinMatrixRequestType_Current' | 'PinMatrixRequestType_NewFirst' | 'PinMatrixRequestType_NewSecond',
  ): Promise<string> {
    if (this.model === 'T1B1') {
      const digits = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];
      for (let i = digits.length - 1; i > 0; i--) {
        const j = this.random.below(i + 1);
        [digits[i], digits[j]] = [digits[j]!, digits[i]!];
      }
      const matrix = digits.join('');
      this.matrix = matrix;
      this.show(kind === 'PinMatrixRequestType_Current' ? 'Please enter current PIN:' : 'Please enter new PIN:');
      this.send('PinMatrixRequest', { type: kind });
      try {
        const ack = await this.waitAck('PinMatrixAck', 'Failure_PinCancelled');
        return Array.from(ack.pin, (c) => (c >= '1' && c <= '9' ? matrix[c.charCodeAt(0) - 49]! : 'X')).join('');
      } finally {
        this.matrix = undefined;
      }
    }
    await this.buttonRequest('ButtonRequest_PinEntry', 'pin_device');
    const pin = await this.takeInput(() => (kind === 'PinMatrixRequestType_Current' ? this.storage.pin : '1234'));
    this.show('PinDialog');
    return pin;
  }

  /** The firmware's wait before checking a PIN after wrong attempts: 2^fails - 1 seconds. */
  private async pinDelay(): Promise<void> {
    const fails = this.storage.pinFailures;
    if (fails === 0) return;
    await this.delay((2 ** Math.min(fails, 20) - 1) * 1000, () => {
      throw this.failure('Failure_PinCancelled');
    });
  }

  /** Check a PIN, counting failures (wipe after the last allowed try). */
  async checkPin(pin: string): Promise<boolean> {
    await this.pinDelay();
    if (pin === (this.storage.pin ?? '')) {
      // A correct PIN also unlocks the storage (legacy config_unlock, core config.unlock).
      this.storage.pinFailures = 0;
      if (!this.unlocked) {
        this.unlocked = true;
        this.armAutoLock();
      }
      return true;
    }
    this.storage.pinFailures++;
    if (this.storage.pinFailures >= PIN_MAX_TRIES) this.wipe();
    return false;
  }

  async unlock(): Promise<void> {
    if (this.unlocked) return;
    if (!this.storage.pin) {
      this.unlocked = true;
      this.armAutoLock();
      return;
    }
    for (;;) {
      const pin = await this.requestPin('PinMatrixRequestType_Current');
      if (await this.checkPin(pin)) return;
      // The One fails the call; the Model T asks again until the storage gives up.
      if (this.model === 'T1B1' || !this.storage.pin) throw this.failure('Failure_PinInvalid');
    }
  }

  lock(): void {
    if (this.model !== 'T1B1' && !this.storage.pin) return;
    this.unlocked = false;
    // Derived keys do not outlive the lock screen; the seed stays, as the firmware's session cache.
    for (const session of this.sessions) session.keys?.forgetNodes();
    this.clock.clearTimeout(this.autoLockTimer);
    this.autoLockTimer = undefined;
    if (!this.inFlow) this.showIdle();
  }

  // ----- passphrase and seed ---------------------------------------------------------------------

  /** Ask for the passphrase of the current session, as the model does. */
  private async passphrase(): Promise<string> {
    if (!this.storage.passphraseProtection) return '';
    if (this.model !== 'T1B1' && this.storage.passphraseAlwaysOnDevice) return this.passphraseOnDevice();
    this.show('Please enter your passphrase using the computer\'s keyboard.');
    this.send('PassphraseRequest', {});
    const ack = await this.waitAck('PassphraseAck', 'Failure_ActionCancelled');
    if (this.model === 'T1B1') {
      if (ack.on_device) throw this.failure('Failure_DataError', 'This firmware is incapable of passphrase entry on the device.');
      if (ack.passphrase === undefined) {
        throw this.failure('Failure_DataError', 'No passphrase provided. Use empty string to set an empty passphrase.');
      }
    } else {
      if (ack.on_device) {
        if (ack.passphrase !== undefined) throw this.failure('Failure_DataError', 'Passphrase provided when it should not be');
        return this.passphraseOnDevice();
      }
      if (ack.passphrase === undefined) {
        throw this.failure(
          'Failure_DataError',
          'Passphrase not provided and on_device is False. Use empty string to set an empty passphrase.',
        );
      }
    }
    const passphrase = ack.passphrase;
    if (passphrase && this.storage.hidePassphraseFromHost && namesScreens(this.profile.layout)) {
      // Core 2.8.9 (core/src/apps/common/passphrase.py): one screen that does not show it.
      await this.confirm('ButtonRequest_Other', { text: 'Passphrase wallet\nAccess passphrase wallet?', ...screen(this, 'passphrase_host1_hidden') });
    } else if (passphrase) {
      await this.confirm('ButtonRequest_Other', {
        text: 'Hidden wallet\nAccess hidden wallet?\nNext screen will show\nthe passphrase!',
        ...screen(this, 'passphrase_host1'),
      });
      await this.confirm('ButtonRequest_Other', { text: 'Hidden wallet\nUse this passphrase?', ...screen(this, 'passphrase_host2', { Bolt: 1, Caesar: 1, Delizia: 2 }) });
    }
    if (utf8Length(passphrase) > MAX_PASSPHRASE_BYTES) {
      throw this.failure('Failure_DataError', `Maximum passphrase length is ${MAX_PASSPHRASE_BYTES} bytes`);
    }
    return passphrase;
  }

  /**
   * THP: the seed of a session ThpCreateNewSession opens, with the passphrase rules of
   * core/src/apps/common/passphrase.py get_passphrase (a host passphrase is used even with
   * passphrase protection off; none is allowed when it is always entered on the device).
   */
  async thpSessionKeys(request: MessageMap['ThpCreateNewSession']): Promise<Keychain> {
    if (!this.storage.initialized || this.storage.mnemonic === undefined) throw this.failure('Failure_NotInitialized');
    const onDevice = this.storage.passphraseProtection && this.storage.passphraseAlwaysOnDevice;
    if (onDevice && request.passphrase !== undefined) {
      throw this.failure('Failure_DataError', 'Providing passphrase in message is not allowed when PASSPHRASE_ALWAYS_ON_DEVICE is True.');
    }
    let passphrase: string;
    if (request.on_device || onDevice) {
      passphrase = await this.passphraseOnDevice();
    } else {
      passphrase = request.passphrase ?? '';
      if (passphrase) {
        await this.confirm('ButtonRequest_Other', { text: 'Passphrase wallet\nAccess passphrase wallet?', ...screen(this, 'passphrase_host1') });
      }
    }
    if (utf8Length(passphrase) > MAX_PASSPHRASE_BYTES) {
      throw this.failure('Failure_DataError', `Maximum passphrase length is ${MAX_PASSPHRASE_BYTES} bytes`);
    }
    return new Keychain(await seedOf(this.storage.mnemonic, passphrase));
  }

  private async passphraseOnDevice(): Promise<string> {
    await this.buttonRequest('ButtonRequest_PassphraseEntry', 'passphrase_device');
    this.show('PassphraseKeyboard');
    const passphrase = await this.takeInput(() => '');
    if (utf8Length(passphrase) > MAX_PASSPHRASE_BYTES) {
      throw this.failure('Failure_DataError', `Maximum passphrase length is ${MAX_PASSPHRASE_BYTES} bytes`);
    }
    return passphrase;
  }

  /** The current session's keys: unlocks, and asks for the passphrase the first time. */
  async keychain(): Promise<Keychain> {
    // The Trezor One's entropy check: keys of the seed about to be made (reset_get_seed()).
    if (this.temporaryKeys) return this.temporaryKeys;
    if (!this.storage.initialized || this.storage.mnemonic === undefined) throw this.failure('Failure_NotInitialized');
    await this.unlock();
    const session = this.current;
    if (!session) throw this.failure('Failure_InvalidSession');
    if (!session.keys) {
      const passphrase = await this.passphrase();
      session.keys = new Keychain(await seedOf(this.storage.mnemonic, passphrase));
    }
    return session.keys;
  }

  async seed(): Promise<Uint8Array> {
    return (await this.keychain()).seed;
  }

  async root(): Promise<HDKey> {
    return (await this.keychain()).root;
  }

  // ----- sessions --------------------------------------------------------------------------------

  /** Initialize: resume a cached session by id, or open a new one (evicting the oldest). */
  startSession(id?: Uint8Array): Session {
    const known = id ? this.sessions.find((s) => sameBytes(s.id, id)) : undefined;
    const session = known ?? { id: this.random.bytes(32) };
    this.sessions = this.sessions.filter((s) => s !== session);
    this.sessions.push(session);
    while (this.sessions.length > MAX_SESSIONS) this.sessions.shift();
    this.current = session;
    return session;
  }

  endSession(): void {
    if (this.current) this.sessions = this.sessions.filter((s) => s !== this.current);
    this.current = undefined;
  }

  /** Forget every derived seed (the mnemonic or passphrase setting changed). */
  forgetSeeds(): void {
    for (const session of this.sessions) session.keys = undefined;
  }

  // ----- storage -----------------------------------------------------------------------------------

  wipe(): void {
    this.storage = freshStorage(this.random);
    this.sessions = [];
    this.current = undefined;
    this.unlocked = true;
    this.clock.clearTimeout(this.autoLockTimer);
    this.autoLockTimer = undefined;
  }

  load(params: {
    mnemonic: string;
    pin?: string;
    passphraseProtection?: boolean;
    label?: string;
    needsBackup?: boolean;
    noBackup?: boolean;
    imported?: boolean;
  }): void {
    const s = this.storage;
    s.initialized = true;
    s.passphraseStored = true;
    s.mnemonic = params.mnemonic;
    s.pin = params.pin ? params.pin : undefined;
    s.passphraseProtection = params.passphraseProtection ?? false;
    if (params.label !== undefined) s.label = params.label;
    s.imported = params.imported ?? true;
    s.needsBackup = params.needsBackup ?? false;
    s.noBackup = params.noBackup ?? false;
    s.pinFailures = 0;
    // Loading (or creating) a seed leaves the storage unlocked, as after entering the PIN.
    this.unlocked = true;
    this.forgetSeeds();
    this.armAutoLock();
  }

  /** How the firmware it plays draws and names its screens. */
  get layout(): Layout {
    return this.profile.layout;
  }

  get busy(): boolean {
    return this.clock.now() < this.busyUntil;
  }

  // ----- what the host can read ---------------------------------------------------------------------

  /** Features as the firmware fills them in the current state. */
  features(sessionId?: Uint8Array): Features {
    return buildFeatures(this, sessionId);
  }

  /** The bootloader installed an image of `version`: restart into it, the seed kept. */
  installFirmware(version: readonly [number, number, number]): void {
    this.profile = { ...this.profile, version: [version[0], version[1], version[2]] };
    this.firmwarePresent = true;
    this.bootloaderMode = false;
    this.sessions = [];
    this.current = undefined;
  }

  /** DebugLinkState as each firmware fills it. */
  debugState(request?: DebugLinkGetState): DebugLinkState {
    return buildDebugLinkState(this, request);
  }

  /** The page of a paginated screen the user is on. */
  get pageIndex(): number {
    return this.page;
  }

  /** Put a screen up: lines separated by \n, pages (Model T) by \f. */
  show(text: string): void {
    this.pages = text.split('\f').map((page) => page.split('\n'));
    this.page = 0;
    this.screen = this.pages[0]!;
    if (this.watchLayout || this.layoutWanted) {
      this.layoutWanted = false;
      this.sendDebug('DebugLinkLayout', { tokens: [...this.screen] });
    }
  }

  /**
   * The idle screen. The Model T's debug state keeps reporting the last layout that
   * published text: the homescreen, or the lock screen while locked.
   */
  showIdle(): void {
    if (this.pairingScreen !== undefined) {
      // THP: the pairing code (or QR / NFC dialog) stays up between the pairing messages.
      this.show(this.pairingScreen);
      return;
    }
    this.pages = [[this.storage.pin && !this.unlocked ? 'Lockscreen' : 'Homescreen']];
    this.page = 0;
    this.screen = this.pages[0]!;
  }

  // ----- debug link ----------------------------------------------------------------------------------

  private onDebug(incoming: Incoming): void {
    const name = messageName(incoming.type);
    let message: unknown;
    try {
      message = name ? decodeAs(name, incoming.payload) : undefined;
    } catch {
      message = undefined;
    }
    switch (name) {
      case 'DebugLinkGetState': {
        const request = message as DebugLinkGetState | undefined;
        this.sendDebug('DebugLinkState', request?.return_empty_state ? {} : this.debugState(request));
        return;
      }
      case 'DebugLinkDecision':
        this.onDecision((message ?? {}) as DebugLinkDecision);
        return;
      case 'DebugLinkReseedRandom':
        this.random.reseed((message as MessageMap['DebugLinkReseedRandom'] | undefined)?.value ?? 0);
        this.sendDebug('Success', {});
        return;
      case 'DebugLinkWatchLayout':
        this.watchLayout = (message as MessageMap['DebugLinkWatchLayout'] | undefined)?.watch ?? false;
        this.sendDebug('Success', { message: '' });
        return;
      case 'DebugLinkRecordScreen':
      case 'DebugLinkEraseSdCard':
      case 'DebugLinkResetDebugEvents':
        this.sendDebug('Success', { message: '' });
        return;
      case 'DebugLinkStop':
        return;
      case 'DebugLinkGetPairingInfo': {
        const info = message ? this.thp?.pairingInfo(message as MessageMap['DebugLinkGetPairingInfo']) : undefined;
        if (info) this.sendDebug('DebugLinkPairingInfo', info);
        else this.sendDebug('Failure', { code: 'Failure_FirmwareError', message: this.thp ? 'Trezor is not in pairing mode' : 'Trezor does not support THP' });
        return;
      }
      default:
        this.sendDebug('Failure', { code: 'Failure_UnexpectedMessage', message: 'Unexpected message' });
    }
  }

  private onDecision(decision: DebugLinkDecision): void {
    if (this.model === 'T1B1') {
      // protectButton() takes decisions only while a button screen is up.
      if (!this.awaitingDecision) return;
      const yes = decision.button === 'YES' || decision.button === 1;
      this.decisions.push(yes ? 'yes' : 'no');
      this.notify();
      return;
    }
    this.touch();
    if (decision.input !== undefined) this.inputs.push(decision.input);
    else if (decision.button !== undefined) {
      const yes = decision.button === 'YES' || decision.button === 1;
      const no = decision.button === 'NO' || decision.button === 0;
      if (yes || no) this.decisions.push(yes ? 'yes' : 'no');
      if (decision.wait) this.layoutWanted = true;
    } else if (decision.swipe !== undefined) {
      // Swiping up (or left) shows the next page of a paginated screen.
      const forward = decision.swipe === 'UP' || decision.swipe === 'LEFT' || decision.swipe === 0 || decision.swipe === 2;
      this.page = Math.min(Math.max(this.page + (forward ? 1 : -1), 0), this.pages.length - 1);
      this.screen = this.pages[this.page]!;
      if (decision.wait) this.sendDebug('DebugLinkLayout', { tokens: [...this.screen] });
    }
    this.notify();
  }
}

/**
 * A software Trezor for tests and demos, in the browser and in Node.
 * @example
 * const virtual = new VirtualTrezor({ mnemonic: 'all all all all all all all all all all all all', autoConfirm: true });
 * const trezor = await connect({ transport: virtual.transport() });
 * await trezor.ping('hi');
 */
export class VirtualTrezor {
  /** @internal the firmware; tests and the UDP server reach in through it. */
  readonly device: DeviceRuntime;
  /** Set as soon as listenUdp() starts, so that a second call cannot bind a pair close() would miss. */
  private udpServer: Promise<{ close(): Promise<void>; port: number }> | undefined;
  private wireTransport: Transport | undefined;
  private debugTransportCache: Transport | undefined;
  private debugClient: DebugLink | undefined;
  /** Device ends of the open in-memory connections; undefined once closed. */
  private ends: Set<MemoryDeviceEnd> | undefined = new Set();

  constructor(options: VirtualTrezorOptions = {}) {
    this.device = new DeviceRuntime(options);
  }

  get model(): Model {
    return this.device.model;
  }

  /** The firmware version the device claims, e.g. '2.4.1'. */
  get firmware(): string {
    return this.device.profile.version.join('.');
  }

  /** Whether the device presses "yes" by itself. */
  get autoConfirm(): boolean {
    return this.device.autoConfirm;
  }

  set autoConfirm(value: boolean) {
    this.device.autoConfirm = value;
  }

  /**
   * In-memory transport to this device (browser and Node): pass it to connect().
   * @example const trezor = await connect({ transport: virtual.transport() })
   */
  transport(): Transport {
    this.wireTransport ??= pumpedTransport('virtual', () => this.ends, (write) => this.device.attachWire(write));
    return this.wireTransport;
  }

  /** In-memory transport of the debug link (what DebugLink talks over). */
  debugTransport(): Transport {
    this.debugTransportCache ??= pumpedTransport('virtual-debug', () => this.ends, (write) => this.device.attachDebug(write));
    return this.debugTransportCache;
  }

  /**
   * An in-memory DebugLink client to this device (with a wire link for loadDevice / wipe).
   * @example const debug = virtual.debugLink(); await debug.press('yes')
   */
  debugLink(): DebugLink {
    this.device.debugClientCreated = true;
    this.debugClient ??= DebugLink.open({ debug: this.debugTransport(), wire: this.transport(), model: this.model });
    return this.debugClient;
  }

  /**
   * Serve the emulator's UDP interface on 127.0.0.1 (Node): wire on `port` (default 21324; 0
   * picks a free pair), debug link on `port + 1`, PINGPING answered with PONGPONG. Resolves
   * once both sockets listen. The server lives in trezor-direct/testing/node and is loaded on
   * this call, so browser bundles never include node:dgram.
   * @example const { port, debugPort } = await virtual.listenUdp({ port: 0 })
   */
  listenUdp(options?: { port?: number }): Promise<{ port: number; debugPort: number }> {
    return this._listenUdp(async () => (await loadTestingNode('VirtualTrezor.listenUdp()')).serveUdp, options);
  }

  /** @internal listenUdp() with the server given (trezor-direct/testing/node passes its own). */
  async _listenUdp(load: () => Promise<ServeUdp>, options: { port?: number } = {}): Promise<{ port: number; debugPort: number }> {
    if (typeof options !== 'object' || options === null) throw invalidParameter('options', 'expected { port }');
    const port = options.port ?? 21324;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65534) {
      throw invalidParameter('port', `expected an integer 0..65534 (the debug link takes port + 1), got ${describeValue(port)}`);
    }
    if (this.udpServer) throw new Error('VirtualTrezor: already listening on UDP');
    if (!this.ends) throw new Error('VirtualTrezor: closed');
    const server = load().then((serve) => serve(this.device, port));
    this.udpServer = server;
    server.catch(() => {
      if (this.udpServer === server) this.udpServer = undefined;
    });
    const { port: wirePort } = await server;
    return { port: wirePort, debugPort: wirePort + 1 };
  }

  /**
   * Stop the device: UDP sockets, timers, and the in-memory connections, whose pending and
   * later calls end with DeviceDisconnected (the device was unplugged) instead of waiting for
   * an answer that never comes.
   */
  async close(): Promise<void> {
    const server = this.udpServer;
    this.udpServer = undefined;
    const ends = this.ends;
    this.ends = undefined;
    this.device.close();
    for (const end of ends ?? []) end.disconnect();
    if (server) await (await server.catch(() => undefined))?.close();
  }

  /**
   * @internal resolves when the device waits for the host with nothing left to read; gives up
   * after `maxTicks` turns of the event loop, but not before `minMs` of real time, so work
   * outside the loop (WebCrypto in CipherKeyValue) can finish on a loaded machine.
   */
  async settle(maxTicks = 1000, minMs = 1000): Promise<void> {
    const start = Date.now();
    for (let i = 0; ; i++) {
      await nextMacrotask();
      if (this.device.idle) return;
      if (i >= maxTicks && Date.now() - start >= minMs) return;
    }
  }
}

/**
 * A memory transport whose host reports are fed to a device link until the host goes away.
 * Open connections join the VirtualTrezor's `ends()` so that closing the device unplugs them;
 * once it is closed (`ends()` undefined) a new connection is unplugged at once.
 */
function pumpedTransport(
  path: string,
  openEnds: () => Set<MemoryDeviceEnd> | undefined,
  attach: (write: (report: Uint8Array) => void) => { feed(report: Uint8Array): void; detach(): void },
): Transport {
  return memoryTransport({
    path,
    onOpen: (end) => {
      const ends = openEnds();
      if (!ends) return end.disconnect();
      ends.add(end);
      const link = attach((report) => end.write(report));
      void (async () => {
        for (;;) {
          let report: Uint8Array;
          try {
            report = await end.read();
          } catch {
            ends.delete(end);
            link.detach();
            return;
          }
          link.feed(report);
        }
      })();
    },
  });
}
