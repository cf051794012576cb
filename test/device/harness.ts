// The device suite's one way to get a device: a connected Trezor plus its DebugLink, seeded
// through the debug link (WipeDevice + LoadDevice over the wire, confirmations pressed on the
// debug link, as trezorlib's fixtures do) with the SLIP-14 seed "all all … all".
//
// By default the suite runs on three virtual targets (targets()): a Trezor One claiming 1.14.1
// and a Model T claiming 2.4.1 — the firmware of the recorded emulators — and a Model T
// claiming 2.8.1, on which the Core flows 2.4.1 predates (taproot, EIP-1559, the EIP-712
// struct/value exchange) run. Each is a blank VirtualTrezor seeded as below. With
// TREZOR_EMULATOR=host:port (and TREZOR_DEBUGLINK=host:port, default port + 1) the same tests
// drive a real emulator over UDP instead; the model and firmware are then whatever it runs.
// What a test needs from the firmware is read from Features at run time (requireFeature), so
// the same test runs or skips, with the reason printed, on whichever device it meets.
//
// The UI answers like a tester's hands: every ButtonRequest is pressed through the debug link
// ('yes' unless a test queued other answers or turned pressing off), the Trezor One PIN matrix
// is read through the debug link and the PIN typed as positions, and the Model T's on-device
// PIN and passphrase keyboards are typed through the debug link.
import type { TestContext } from 'vitest';
import { connect } from '../../src/session/connect.js';
import type { Features, Trezor } from '../../src/session/trezor.js';
import type { ButtonRequestInfo, PassphraseAnswer, PinRequest, UiHandlers } from '../../src/session/ui.js';
import { DebugLink, encodePin } from '../../src/testing/debuglink.js';
import type { Model } from '../../src/testing/virtual/context.js';
import { VirtualTrezor } from '../../src/testing/virtual/device.js';

export const MNEMONIC = 'all all all all all all all all all all all all';

const EMULATOR = process.env.TREZOR_EMULATOR;

/**
 * A device the suite runs on: a virtual model at its recorded firmware ('T1B1', 'T2T1'), a
 * virtual model claiming another firmware ('T2T1@2.8.1'), or the real emulator.
 */
export type Target = Model | `${Model}@${string}` | 'emulator';

/** A virtual target newer than the recordings: the Core flows 2.4.1 predates run here. */
export const RECENT_CORE: Target = 'T2T1@2.8.1';

/** What the suite runs on: the three virtual targets, or the one real emulator. */
export function targets(): Target[] {
  return EMULATOR ? ['emulator'] : ['T1B1', 'T2T1', RECENT_CORE];
}

/**
 * The VirtualTrezor options of a virtual target.
 * @example virtualOptions('T2T1@2.8.1') // { model: 'T2T1', firmware: '2.8.1' }
 */
export function virtualOptions(target: Exclude<Target, 'emulator'>): { model: Model; firmware?: string } {
  const [model, firmware] = target.split('@') as [Model, string | undefined];
  return firmware === undefined ? { model } : { model, firmware };
}

export interface OpenOptions {
  /** The target (targets()); ignored against a real emulator. Default T1B1. */
  model?: Target;
  mnemonic?: string;
  pin?: string;
  passphraseProtection?: boolean;
  /**
   * The passphrase the UI answers with: a string (typed on the host), or `{ device: text }` to
   * choose on-device entry and type `text` on the Model T's keyboard. Default ''.
   */
  passphrase?: string | { device: string };
  /** Override parts of the UI (the defaults answer as described above). */
  ui?: Partial<UiHandlers>;
}

export interface DeviceUnderTest {
  trezor: Trezor;
  debug: DebugLink;
  /** The model as the connected firmware reports it. */
  model: Model;
  /** The virtual device (undefined against a real emulator). */
  virtual?: VirtualTrezor;
  /** Answers for the next button screens; 'yes' once empty. */
  answers: ('yes' | 'no')[];
  /** Press buttons automatically (default true). */
  autoPress: boolean;
  /** Every ButtonRequest seen, in order. */
  buttons: ButtonRequestInfo[];
  /** How often the UI was asked for the PIN / the passphrase. */
  asked: { pin: number; passphrase: number };
  /** The PIN the UI answers with (change it to test a wrong one). */
  pin: string | undefined;
  passphrase: string | { device: string };
  /** Close the Trezor connection and connect again (the session id is remembered). */
  reconnect(): Promise<Trezor>;
  close(): Promise<void>;
}

const opened: DeviceUnderTest[] = [];

/** Close every device opened since the last call (use in afterEach). */
export async function closeAll(): Promise<void> {
  for (const device of opened.splice(0)) await device.close().catch(() => undefined);
}

function emulatorAddress(): { host: string; port: number; debugHost: string; debugPort: number } {
  const [host = '127.0.0.1', port = '21324'] = EMULATOR!.split(':');
  const [debugHost = host, debugPort = String(Number(port) + 1)] = (process.env.TREZOR_DEBUGLINK ?? '').split(':').filter(Boolean);
  return { host, port: Number(port), debugHost, debugPort: Number(debugPort) };
}

/**
 * A connected, seeded device.
 * @example const { trezor, debug } = await openDevice({ model: 'T2T1', pin: '1234' })
 */
export async function openDevice(options: OpenOptions = {}): Promise<DeviceUnderTest> {
  const model = options.model ?? (EMULATOR ? 'emulator' : 'T1B1');
  let debug: DebugLink;
  let virtual: VirtualTrezor | undefined;
  let connectTrezor: (ui: UiHandlers) => Promise<Trezor>;
  if (model === 'emulator' || EMULATOR) {
    const address = emulatorAddress();
    debug = await DebugLink.connect({ host: address.debugHost, port: address.debugPort, wirePort: address.port });
    const { udp } = await import('../../src/node.js');
    const transport = udp({ host: address.host, port: address.port });
    connectTrezor = (ui) => connect({ transport, ui });
  } else {
    virtual = new VirtualTrezor(virtualOptions(model));
    debug = virtual.debugLink();
    const transport = virtual.transport();
    connectTrezor = (ui) => connect({ transport, ui });
  }
  await debug.loadDevice({
    mnemonic: options.mnemonic ?? MNEMONIC,
    pin: options.pin,
    passphraseProtection: options.passphraseProtection ?? false,
    label: 'test',
  });

  const device: DeviceUnderTest = {
    trezor: undefined as unknown as Trezor,
    debug,
    model: 'T1B1',
    virtual,
    answers: [],
    autoPress: true,
    buttons: [],
    asked: { pin: 0, passphrase: 0 },
    pin: options.pin,
    passphrase: options.passphrase ?? '',
    async reconnect() {
      await device.trezor.close();
      device.trezor = await connectTrezor(ui);
      return device.trezor;
    },
    async close() {
      await device.trezor?.close().catch(() => undefined);
      await debug.close();
      await virtual?.close();
    },
  };

  const ui: UiHandlers = {
    word: options.ui?.word,
    button: (info) => {
      device.buttons.push(info);
      options.ui?.button?.(info);
      if (!device.autoPress) return;
      // The Model T asks for PIN and passphrase on its own keyboard.
      if (info.code === 'ButtonRequest_PinEntry') {
        void debug.input(device.pin ?? '').catch(() => undefined);
        return;
      }
      if (info.code === 'ButtonRequest_PassphraseEntry') {
        const answer = device.passphrase;
        void debug.input(typeof answer === 'string' ? answer : answer.device).catch(() => undefined);
        return;
      }
      void debug.press(device.answers.shift() ?? 'yes').catch(() => undefined);
    },
    pin:
      options.ui?.pin ??
      (async (_request: PinRequest) => {
        device.asked.pin++;
        return encodePin(device.pin ?? '', await debug.readPinMatrix());
      }),
    passphrase:
      options.ui?.passphrase ??
      (async (): Promise<PassphraseAnswer> => {
        device.asked.passphrase++;
        const answer = device.passphrase;
        return typeof answer === 'string' ? { passphrase: answer } : { onDevice: true };
      }),
  };
  device.trezor = await connectTrezor(ui);
  device.model = device.trezor.features.model === 'T' || device.trezor.features.internal_model === 'T2T1' ? 'T2T1' : 'T1B1';
  opened.push(device);
  return device;
}

/** Things a test may need that older firmware lacks. */
export type FeatureNeed =
  | 'taproot'
  | 'eip1559'
  /** EthereumSignTypedData, the EIP-712 struct/value exchange (Core only). */
  | 'eip712'
  /** EthereumSignTypedHash (Trezor One only). */
  | 'signTypedHash'
  /** EIP-712 through the library's signTypedData: typed hash on the One, typed data on Core. */
  | 'typedData'
  | 'passphraseOnDevice'
  | 'endSession';

function version(features: Features): [number, number, number] {
  return [features.major_version, features.minor_version, features.patch_version];
}

function atLeast(have: readonly number[], need: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) if (have[i] !== need[i]) return (have[i] ?? 0) > (need[i] ?? 0);
  return true;
}

/** [Trezor One, Core] minimum versions (shared PROTOCOL.md §12); undefined: never. */
const MINIMUM: Record<Exclude<FeatureNeed, 'passphraseOnDevice'>, [number[] | undefined, number[] | undefined]> = {
  taproot: [[1, 10, 4], [2, 4, 3]],
  eip1559: [[1, 10, 4], [2, 4, 2]],
  eip712: [undefined, [2, 4, 3]],
  signTypedHash: [[1, 10, 5], undefined],
  typedData: [[1, 10, 5], [2, 4, 3]],
  endSession: [[1, 9, 4], [2, 3, 4]],
};

/**
 * Why the connected firmware cannot do `what`, or undefined when it can.
 * @example lacks(trezor.features, 'taproot') // 'taproot needs firmware 2.4.3, the device runs 2.4.1'
 */
export function lacks(features: Features, what: FeatureNeed): string | undefined {
  let reason: string | undefined;
  const isOne = features.major_version === 1;
  const have = version(features);
  if (what === 'passphraseOnDevice') {
    const caps = (features.capabilities ?? []) as (string | number)[];
    if (!caps.includes('Capability_PassphraseEntry') && !caps.includes(17)) reason = 'the device cannot take the passphrase on its own screen';
  } else {
    const need = MINIMUM[what][isOne ? 0 : 1];
    if (!need) reason = `${what} does not exist on ${isOne ? 'the Trezor One' : 'Core'} firmware`;
    else if (!atLeast(have, need)) reason = `${what} needs firmware ${need.join('.')}, the device runs ${have.join('.')}`;
  }
  return reason;
}

/**
 * Skip the running test (with the reason printed) when the connected firmware lacks `what`.
 * @example requireFeature(ctx, trezor.features, 'taproot')
 */
export function requireFeature(ctx: TestContext, features: Features, what: FeatureNeed): void {
  const reason = lacks(features, what);
  if (reason) {
    console.log(`[skip] ${ctx.task.fullTestName ?? ctx.task.name}: ${reason}`);
    ctx.skip(reason);
  }
}
