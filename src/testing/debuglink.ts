/**
 * DebugLink: the test-side client of a Trezor's debug link — the second channel that debug
 * firmware, the official emulators and VirtualTrezor open next to the wire. Tests use it to
 * press buttons, type the PIN or passphrase on a Model T, read the Trezor One's scrambled PIN
 * matrix, and to seed the device (WipeDevice + LoadDevice go over the wire, as trezorlib does,
 * with the confirmations pressed here).
 *
 * A decision (press, swipe, click, text) gets no answer. On Core firmware it waits until a
 * screen is up and is handled before the next debug message, so after each one the client asks
 * for an empty DebugLinkState, as trezorlib's `DebugLink._decision` does: when that answers,
 * the decision has been processed, and a Failure the firmware wrote for it (e.g. "layout
 * deadlock detected" when no screen came up) is read here instead of answering a later request.
 * The Trezor One takes decisions only inside its button loop and is not asked.
 *
 * The same protobuf messages travel in 64-byte v1 reports on both channels, so one client
 * drives the official emulator (`DebugLink.connect()`, UDP, Node only — the UDP transport is
 * loaded on demand and never reaches a browser bundle) and the virtual device in memory
 * (`virtual.debugLink()`, any platform).
 *
 * Keypad positions of the Trezor One PIN matrix (shared PROTOCOL.md §6.3):
 *
 *     7 8 9
 *     4 5 6      matrix[k] is the digit the device shows at position k + 1
 *     1 2 3
 */
import { TrezorError, invalidParameter } from '../errors.js';
import { modelOf } from '../models.js';
import {
  decodeMessage,
  encodeMessage,
  type AnyMessage,
  type DebugLinkState,
  type MessageMap,
  type MessageName,
} from '../messages/index.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../protocol/v1.js';
import type { Transport, TransportConnection } from '../transport/types.js';
import type { Trezor } from '../session/trezor.js';
import { loadNodeTransports } from './node-only.js';

export interface DebugLinkConnectOptions {
  /** Emulator host (default 127.0.0.1). */
  host?: string;
  /** Debug link port (default 21325). */
  port?: number;
  /** Wire port, for loadDevice / wipe (default port - 1). */
  wirePort?: number;
  /**
   * How long to wait for the emulator to answer PINGPING, in ms (default 500). A busy emulator
   * (debug builds run unoptimised) may need seconds; trezorlib waits up to 10 s.
   */
  pingTimeout?: number;
}

export interface DebugLinkOpenOptions {
  /** Transport whose single device is the debug link. */
  debug: Transport;
  /** Transport of the wire, for loadDevice / wipe without a connected Trezor. */
  wire?: Transport;
  /** The internal model (Features.internal_model), when known; see {@link DebugLink.model}. */
  model?: string;
}

export interface LoadDeviceOptions {
  /** BIP-39 mnemonic; the device refuses one with a bad checksum unless `skipChecksum`. */
  mnemonic: string;
  /** LoadDevice.skip_checksum: load a mnemonic whose BIP-39 checksum does not match (default false, as trezorlib). */
  skipChecksum?: boolean;
  pin?: string;
  passphraseProtection?: boolean;
  label?: string;
  /** Send over this connected Trezor instead of opening a wire connection. */
  trezor?: Trezor;
}

/**
 * Turn PIN digits into Trezor One keypad positions for the matrix the device shows.
 * @example encodePin('1234', '746592381') // device shows 3 8 1 / 5 9 2 / 7 4 6 → '9672'
 */
export function encodePin(pin: string, matrix: string): string {
  if (!/^[1-9]{9}$/.test(matrix)) throw new TypeError('encodePin: matrix must be the 9 digits the device shows');
  return Array.from(pin, (digit) => {
    const position = matrix.indexOf(digit);
    if (position < 0) throw new TypeError('encodePin: a Trezor One PIN has digits 1-9 only');
    return String(position + 1);
  }).join('');
}

/** One message at a time over a report connection. */
class MessageLink {
  private state: DecodeState | undefined;

  constructor(readonly connection: TransportConnection) {}

  async send<N extends MessageName>(name: N, message: MessageMap[N]): Promise<void> {
    const { type, payload } = encodeMessage(name, message as never);
    for (const report of encodeReports(type, payload)) await this.connection.write(report);
  }

  async receive(signal?: AbortSignal): Promise<AnyMessage> {
    for (;;) {
      const report = await this.connection.read(signal);
      this.state = decodeReport(this.state, report);
      const done = completedMessage(this.state);
      if (done) {
        this.state = undefined;
        return decodeMessage(done.type, done.payload);
      }
    }
  }
}

/**
 * A debug link client.
 * @example
 * const debug = await DebugLink.connect({ port: 21325 });
 * await debug.loadDevice({ mnemonic: 'all all all all all all all all all all all all' });
 */
export class DebugLink {
  private readonly debugTransport: Transport;
  private readonly wireTransport: Transport | undefined;
  private link: Promise<MessageLink> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * The device's internal model (Features.internal_model), e.g. 'T3T1'. Set at open, or learnt
   * from the Features of loadDevice / wipe; set it after connecting otherwise. Decisions on any
   * model but the Trezor One ('T1B1') wait until the firmware has processed them.
   */
  model: string | undefined;

  private constructor(options: DebugLinkOpenOptions) {
    this.debugTransport = options.debug;
    this.wireTransport = options.wire;
    this.model = options.model;
  }

  /** A client over any transport pair (the virtual device's in-memory links, a USB debug interface…). */
  static open(options: DebugLinkOpenOptions): DebugLink {
    return new DebugLink(options);
  }

  /**
   * The debug link of an emulator over UDP (Node): the official Trezor One / Model T emulator,
   * trezor-user-env, or `virtual.listenUdp()`.
   */
  static async connect({ host = '127.0.0.1', port = 21325, wirePort = port - 1, pingTimeout }: DebugLinkConnectOptions = {}): Promise<DebugLink> {
    const { udp } = await loadNodeTransports('DebugLink.connect()');
    const debug = udp({ host, port, pingTimeout });
    const wire = udp({ host, port: wirePort, pingTimeout });
    const client = new DebugLink({ debug, wire });
    await client.connection(); // fail early when nothing answers
    return client;
  }

  private connection(): Promise<MessageLink> {
    this.link ??= (async () => {
      const [device] = await this.debugTransport.enumerate();
      if (!device) throw new TrezorError('DeviceDisconnected', 'No debug link is answering');
      return new MessageLink(await this.debugTransport.open(device));
    })();
    this.link.catch(() => {
      this.link = undefined;
    });
    return this.link;
  }

  /** Run debug exchanges one at a time. */
  private serial<T>(task: (link: MessageLink) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => task(await this.connection()));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async request<R extends MessageName>(name: MessageName, message: object, expected: R): Promise<MessageMap[R]> {
    return this.serial(async (link) => {
      await link.send(name, message as never);
      const reply = await link.receive();
      if (reply.type !== expected) throw new TrezorError('UnexpectedMessage', `Debug link answered ${reply.type}, expected ${expected}`);
      return reply.message as MessageMap[R];
    });
  }

  /** The device's state: PIN matrix (Trezor One), PIN, mnemonic, screen… */
  getState(): Promise<DebugLinkState> {
    return this.request('DebugLinkGetState', {}, 'DebugLinkState');
  }

  /**
   * Answer the screen: 'yes' confirms it (all of a multi-page screen or flow at once), 'no'
   * cancels it, 'info' opens its info screen (DebugButton). What the firmware does next is its
   * own: a "no" may bring up a confirmation ("cancel?") that needs its own answer.
   */
  press(button: 'yes' | 'no' | 'info'): Promise<void> {
    const value = ({ yes: 'YES', no: 'NO', info: 'INFO' } as const)[button];
    if (!value) throw new TypeError(`press: expected 'yes', 'no' or 'info', got ${String(button)}`);
    return this.decide({ button: value });
  }

  /** Type text on the device's keyboard (Core: the PIN and the passphrase on their keyboards). */
  input(text: string): Promise<void> {
    return this.decide({ input: text });
  }

  /** Swipe (touch screens); on button models 'up' / 'down' press right / left. */
  swipe(direction: 'up' | 'down' | 'left' | 'right'): Promise<void> {
    const value = ({ up: 'UP', down: 'DOWN', left: 'LEFT', right: 'RIGHT' } as const)[direction];
    if (!value) throw new TypeError(`swipe: expected up, down, left or right, got ${String(direction)}`);
    return this.decide({ swipe: value });
  }

  /** Touch the screen at (x, y), holding for `holdMs` (hold-to-confirm). */
  click(x: number, y: number, { holdMs }: { holdMs?: number } = {}): Promise<void> {
    return this.decide({ x, y, ...(holdMs !== undefined ? { hold_ms: holdMs } : {}) });
  }

  /** Press a physical button (Safe 3: left, right, or both for the middle), holding for `holdMs`. */
  pressButton(button: 'left' | 'middle' | 'right', { holdMs }: { holdMs?: number } = {}): Promise<void> {
    const value = ({ left: 'LEFT_BTN', middle: 'MIDDLE_BTN', right: 'RIGHT_BTN' } as const)[button];
    if (!value) throw new TypeError(`pressButton: expected left, middle or right, got ${String(button)}`);
    return this.decide({ physical_button: value, ...(holdMs !== undefined ? { hold_ms: holdMs } : {}) });
  }

  /**
   * The screen as the firmware describes it (Core ≥ 2.6: JSON of the layout; older: text
   * tokens), joined. `wait`: 'current' waits until a screen is up, 'next' until the screen
   * changes (Core ≥ 2.6.1 only).
   * @example JSON.parse(await debug.readLayout('current')).component
   */
  async readLayout(wait: 'now' | 'current' | 'next' = 'now'): Promise<string> {
    const waitLayout = ({ now: undefined, current: 'CURRENT_LAYOUT', next: 'NEXT_LAYOUT' } as const)[wait];
    const state = await this.request('DebugLinkGetState', waitLayout ? { wait_layout: waitLayout } : {}, 'DebugLinkState');
    return (state.tokens ?? []).join('');
  }

  /** Send one decision; on Core, wait until the firmware has processed it (see the header). */
  private decide(decision: MessageMap['DebugLinkDecision']): Promise<void> {
    return this.serial(async (link) => {
      await link.send('DebugLinkDecision', decision);
      if (this.model === undefined || this.model === 'T1B1') return;
      await link.send('DebugLinkGetState', { return_empty_state: true });
      for (;;) {
        const reply = await link.receive();
        if (reply.type === 'DebugLinkState') return;
        if (reply.type === 'Failure') {
          throw new TrezorError('FirmwareError', `Debug link decision failed: ${reply.message.message ?? ''}`, {
            failureCode: typeof reply.message.code === 'number' ? reply.message.code : undefined,
            failureMessage: reply.message.message,
          });
        }
      }
    });
  }

  /** Make the device's random generator repeatable (emulators only). */
  /**
   * THP: the pairing secrets of a channel in its pairing phase, as a debug firmware gives them
   * (DebugLinkGetPairingInfo): the code entry code once the device shows it, the QR code, the
   * NFC secret; `nfcSecretHost` hands the device the host's NFC secret.
   * @example const { code_entry_code } = await debug.pairingInfo(channelId)
   */
  async pairingInfo(
    channelId: number,
    options: { handshakeHash?: Uint8Array; nfcSecretHost?: Uint8Array } = {},
  ): Promise<MessageMap['DebugLinkPairingInfo']> {
    if (!Number.isInteger(channelId) || channelId < 0 || channelId > 0xffff) throw invalidParameter('channelId', 'expected a 16-bit channel id');
    const request: MessageMap['DebugLinkGetPairingInfo'] = { channel_id: Uint8Array.of(channelId >> 8, channelId & 0xff) };
    if (options.handshakeHash) request.handshake_hash = options.handshakeHash;
    if (options.nfcSecretHost) request.nfc_secret_host = options.nfcSecretHost;
    return this.request('DebugLinkGetPairingInfo', request, 'DebugLinkPairingInfo');
  }

  async reseedRandom(value: number): Promise<void> {
    await this.request('DebugLinkReseedRandom', { value }, 'Success');
  }

  /** The Trezor One PIN matrix on screen: 9 digits, keypad position order. */
  async readPinMatrix(): Promise<string> {
    const { matrix } = await this.getState();
    if (!matrix || !/^[1-9]{9}$/.test(matrix)) throw new TrezorError('UnexpectedMessage', 'No PIN matrix is on the screen');
    return matrix;
  }

  /**
   * The backup word on screen while a new wallet is written down (DebugLinkState.reset_word, as
   * trezorlib's read_reset_word). Test seeds only: never a real wallet's.
   * @example words.push(await debug.readResetWord()) // in ui.button during resetDevice
   */
  async readResetWord(): Promise<string> {
    // Core answers reset_word only when asked to wait for it (the words of the page on screen).
    const { reset_word } = await this.request('DebugLinkGetState', { wait_word_list: true }, 'DebugLinkState');
    if (reset_word === undefined) throw new TrezorError('UnexpectedMessage', 'No backup word is on the screen');
    return reset_word;
  }

  /**
   * Model T backup check: the index (0-based) of the word the device asks for
   * (DebugLinkState.reset_word_pos, as trezorlib's read_reset_word_pos).
   * @example await debug.input(words[await debug.readResetWordPos()])
   */
  async readResetWordPos(): Promise<number> {
    const { reset_word_pos } = await this.request('DebugLinkGetState', { wait_word_pos: true }, 'DebugLinkState');
    if (reset_word_pos === undefined) throw new TrezorError('UnexpectedMessage', 'The device is not checking a backup word');
    return reset_word_pos;
  }


  /**
   * Trezor One scrambled recovery: which word the device asks for now — its position (1-24),
   * or 0 with the fake word it shows (DebugLinkState.recovery_word_pos / recovery_fake_word).
   * @example const { position, fakeWord } = await debug.readRecoveryWord()
   */
  async readRecoveryWord(): Promise<{ position: number; fakeWord: string }> {
    const state = await this.getState();
    return { position: state.recovery_word_pos ?? 0, fakeWord: state.recovery_fake_word ?? '' };
  }

  /** PIN digits as positions on the matrix the device shows right now. */
  async encodePin(pin: string): Promise<string> {
    return encodePin(pin, await this.readPinMatrix());
  }

  /** Wipe the device over the wire, pressing "yes" here. */
  async wipe({ trezor }: { trezor?: Trezor } = {}): Promise<void> {
    await this.onWire(trezor, async (call) => {
      await call('WipeDevice', {});
    });
  }

  /**
   * Wipe the device and load a seed (as trezorlib's debuglink.load_device does): WipeDevice and
   * LoadDevice go over the wire, the confirmations are pressed on the debug link.
   */
  async loadDevice({ mnemonic, pin, passphraseProtection = false, label, skipChecksum = false, trezor }: LoadDeviceOptions): Promise<void> {
    await this.onWire(trezor, async (call) => {
      await call('WipeDevice', {});
      const message: MessageMap['LoadDevice'] = {
        mnemonics: [mnemonic],
        passphrase_protection: passphraseProtection,
        skip_checksum: skipChecksum === true,
      };
      if (pin !== undefined && pin !== '') message.pin = pin;
      if (label !== undefined) message.label = label;
      await call('LoadDevice', message);
    });
  }

  /**
   * Run wire calls whose ButtonRequests are confirmed through this debug link: over `trezor`
   * when given, else over a wire connection opened for the purpose.
   */
  private async onWire(
    trezor: Trezor | undefined,
    flow: (call: <N extends MessageName>(name: N, message: MessageMap[N]) => Promise<AnyMessage>) => Promise<void>,
  ): Promise<void> {
    if (trezor) {
      this.model ??= modelOf(trezor.features)?.internalModel ?? trezor.features.internal_model;
      const off = trezor.on('button', () => void this.press('yes').catch(() => undefined));
      try {
        await trezor.exclusive((call) => flow((name, message) => call(name, message)));
      } finally {
        off();
      }
      return;
    }
    if (!this.wireTransport) throw new TrezorError('InvalidParameters', 'This debug link has no wire connection: pass { trezor }', { field: 'trezor' });
    const [device] = await this.wireTransport.enumerate();
    if (!device) throw new TrezorError('DeviceDisconnected', 'No device is answering on the wire');
    const link = new MessageLink(await this.wireTransport.open(device));
    try {
      // Initialize ends whatever flow a previous test left behind and opens a session.
      await link.send('Initialize', {});
      let answer: AnyMessage;
      while ((answer = await link.receive()).type !== 'Features');
      if (answer.type === 'Features') this.model ??= modelOf(answer.message)?.internalModel ?? answer.message.internal_model;
      await flow(async (name, message) => {
        await link.send(name, message);
        for (;;) {
          const reply = await link.receive();
          if (reply.type === 'ButtonRequest') {
            await link.send('ButtonAck', {});
            await this.press('yes');
            continue;
          }
          if (reply.type === 'Failure') {
            throw new TrezorError('FirmwareError', `${name} failed: ${reply.message.message ?? ''}`, {
              failureCode: typeof reply.message.code === 'number' ? reply.message.code : undefined,
              failureMessage: reply.message.message,
            });
          }
          return reply;
        }
      });
    } finally {
      await link.connection.close().catch(() => undefined);
    }
  }

  /** Close the debug connection. */
  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    if (link) await (await link.catch(() => undefined))?.connection.close();
  }
}
