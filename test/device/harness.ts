// The device suite's one way to get a device: a connected Trezor plus its DebugLink, seeded
// through the debug link (WipeDevice + LoadDevice over the wire, confirmations pressed on the
// debug link, as trezorlib's fixtures do) with the SLIP-14 seed "all all … all".
//
// By default the suite runs on five virtual targets (targets()), the models and firmware of the
// recorded emulators: a Trezor One with 1.14.1, a Model T with 2.4.1 and with 2.8.9 (where the
// Core flows 2.4.1 predates run: taproot, EIP-1559, the EIP-712 struct/value exchange), a Safe 5
// (T3T1) and a Safe 3 (T2B1) with 2.8.9. Each is a blank VirtualTrezor seeded as below. With
// TREZOR_EMULATOR=host:port (and TREZOR_DEBUGLINK=host:port, default port + 1) the same tests
// drive a real emulator over UDP instead; the model and firmware are then whatever it runs.
// What a test needs from the firmware is read from Features at run time (requireFeature), so
// the same test runs or skips, with the reason printed, on whichever device it meets.
//
// The model is read from Features through the library's model table (src/models.ts:
// internal_model, or `model` on firmware older than it), never from the version.
//
// The UI answers like a tester's hands, as the firmware's own tests do (trezorlib debuglink.py
// DebugUI at core/v2.8.9): every ButtonRequest is answered through the debug link ('yes' unless a
// test queued other answers or turned pressing off) — "yes" confirms the whole screen or flow
// whatever its pages; a ButtonRequest_PinEntry gets the PIN typed with `input` (every Core
// model, touch or buttons); ButtonRequest_PassphraseEntry gets the passphrase the same way; the
// Trezor One's PIN matrix is read through the debug link and the PIN sent as positions.
import { appendFileSync } from 'node:fs';
import { expect, type TestContext } from 'vitest';
import { connect } from '../../src/session/connect.js';
import type { Features, Trezor } from '../../src/session/trezor.js';
import type { ButtonRequestInfo, PassphraseAnswer, PinRequest, UiHandlers } from '../../src/session/ui.js';
import { MODELS, canEnterPassphraseOnDevice, modelFamily, modelOf, type InternalModel, type TrezorModel } from '../../src/models.js';
import { DebugLink, encodePin } from '../../src/testing/debuglink.js';
import type { Model } from '../../src/testing/virtual/context.js';
import { VirtualTrezor } from '../../src/testing/virtual/device.js';
import { recordEachTest, recordPhase } from './recording.js';

export const MNEMONIC = 'all all all all all all all all all all all all';

const EMULATOR = process.env.TREZOR_EMULATOR;
recordEachTest(); // with TREZOR_RECORD set: one transcript per test (scripts/record-emulator.ts)
/**
 * How long an official emulator may take to answer PINGPING: its debug build runs unoptimised
 * and is slow to answer while it draws a screen (trezorlib's UDP transport waits 10 s).
 */
export const EMULATOR_PING_MS = 10_000;

/**
 * A device the suite runs on: a virtual model at its default firmware ('T1B1' 1.14.1, 'T2T1'
 * 2.4.1, 'T2B1' and 'T3T1' 2.8.9), a virtual model claiming another firmware ('T2T1@2.8.9'), or
 * the real emulator.
 */
export type Target = Model | `${Model}@${string}` | 'emulator';

/** The Model T on current firmware: the Core flows 2.4.1 predates run here. */
export const RECENT_CORE: Target = 'T2T1@2.8.9';

/** What the suite runs on: the five virtual targets, or the one real emulator. */
export function targets(): Target[] {
  return EMULATOR ? ['emulator'] : ['T1B1', 'T2T1', RECENT_CORE, 'T3T1', 'T2B1'];
}

/**
 * The VirtualTrezor options of a virtual target.
 * @example virtualOptions('T2T1@2.8.9') // { model: 'T2T1', firmware: '2.8.9' }
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
  /** The model as the connected firmware reports it (Features, through the model table). */
  model: InternalModel;
  /** Its row of the model table. */
  info: TrezorModel;
  /** The virtual device (undefined against a real emulator). */
  virtual?: VirtualTrezor;
  /**
   * Answers for the next button screens; 'yes' once empty. A list answers one ButtonRequest with
   * several decisions in a row (e.g. ['no', 'yes']: cancel, then confirm the "cancel?" screen the
   * firmware puts up without a ButtonRequest of its own).
   */
  answers: Answer[];
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

/**
 * With DEVICE_SUITE_LOG=file, every device the suite closes appends one JSON line: the test, the
 * Features that tell firmware apart, and each ButtonRequest (code, pages, name) in order — to
 * compare what two firmwares do for the same flows.
 */
const LOG_FILE = process.env.DEVICE_SUITE_LOG;

function logDevice(device: DeviceUnderTest): void {
  // Every field the firmware sent; bytes (ids, hashes) only by their length.
  const features = Object.fromEntries(
    Object.entries(device.trezor.features).map(([k, v]) => [k, v instanceof Uint8Array ? `<${v.length} bytes>` : v]),
  );
  const line = { test: expect.getState().currentTestName, features, buttons: device.buttons };
  appendFileSync(LOG_FILE!, `${JSON.stringify(line)}\n`);
}

/** One answer to a button screen (see DeviceUnderTest.answers). */
export type Answer = 'yes' | 'no' | readonly ('yes' | 'no')[];

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
    debug = await DebugLink.connect({ host: address.debugHost, port: address.debugPort, wirePort: address.port, pingTimeout: EMULATOR_PING_MS });
    const { udp } = await import('../../src/node.js');
    const transport = udp({ host: address.host, port: address.port, pingTimeout: EMULATOR_PING_MS });
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
    info: MODELS.T1B1,
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
      if (LOG_FILE && device.trezor) logDevice(device);
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
      const answer = device.answers.shift() ?? 'yes';
      void (async () => {
        for (const press of typeof answer === 'string' ? [answer] : answer) await debug.press(press);
      })().catch(() => undefined);
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
  await recordPhase('call');
  const info = modelOf(device.trezor.features);
  if (!info) throw new Error(`the device reports a model the library does not know: ${device.trezor.features.internal_model ?? device.trezor.features.model}`);
  device.model = info.internalModel;
  device.info = info;
  debug.model = info.internalModel;
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
  | 'endSession'
  /** SignMessage.no_script_type. */
  | 'noScriptType'
  /** Replacement transactions (orig_hash / TXORIGINPUT): legacy 1.9.4, core 2.3.5 CHANGELOGs. */
  | 'replacement';

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
  noScriptType: [[1, 10, 4], [2, 4, 3]],
  replacement: [[1, 9, 4], [2, 3, 5]],
};

/**
 * The screens the device draws, as trezorlib names them (debuglink.py LayoutType, core/v2.8.9),
 * with 'UI1' for Core firmware before 2.6 (trezorlib's `legacy_ui`): 'T1' Trezor One; 'UI1' Model T
 * < 2.6; 'Bolt' Model T ≥ 2.6; 'Caesar' Safe 3; 'Delizia' Safe 5; 'Eckhart' Safe 7. A virtual
 * device draws the screens of the recorded firmware it plays (src/testing/virtual/firmware.ts
 * layoutOf: a Model T claiming less than 2.8.1 plays 2.4.1, 'UI1'; from 2.8.1 on 2.8.9, 'Bolt').
 * @example layoutOf(device) // 'Bolt' on a Model T with 2.8.9
 */
export function layoutOf(device: DeviceUnderTest): 'T1' | 'UI1' | 'Bolt' | 'Caesar' | 'Delizia' | 'Eckhart' {
  if (device.info.family === 1) return 'T1';
  if (device.virtual) return device.virtual.device.layout;
  switch (device.model) {
    case 'T2B1':
    case 'T3B1':
      return 'Caesar';
    case 'T3T1':
      return 'Delizia';
    case 'T3W1':
      return 'Eckhart';
    default:
      return atLeast(version(device.trezor.features), [2, 6, 0]) ? 'Bolt' : 'UI1';
  }
}

/**
 * The answer that declines a message signature (Bitcoin or Ethereum) on its first screen, the
 * address. On the Model T from 2.6.3 and on the Safe 5, "no" there puts up an "Address
 * mismatch?" screen without a ButtonRequest of its own, whose "yes" ends the signing (its "no"
 * goes back to the address): trezor-firmware core/src/trezor/ui/layouts/{tt,bolt,delizia}
 * confirm_signverify. Elsewhere one "no" ends it.
 * @example device.answers.push(declineMessage(device))
 */
export function declineMessage(device: DeviceUnderTest): Answer {
  const layout = layoutOf(device);
  const popup = layout === 'Delizia' || (layout === 'Bolt' && atLeast(version(device.trezor.features), [2, 6, 3]));
  return popup ? ['no', 'yes'] : 'no';
}

/**
 * Why the connected firmware cannot do `what`, or undefined when it can.
 * @example lacks(trezor.features, 'taproot') // 'taproot needs firmware 2.4.3, the device runs 2.4.1'
 */
export function lacks(features: Features, what: FeatureNeed): string | undefined {
  let reason: string | undefined;
  const isOne = modelFamily(features) === 1;
  const have = version(features);
  if (what === 'passphraseOnDevice') {
    if (!canEnterPassphraseOnDevice(features)) reason = 'the device cannot take the passphrase on its own screen';
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
