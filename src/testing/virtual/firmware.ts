/**
 * What the virtual device claims to be, per model: the firmware version and Features layout of
 * the official emulators the transcripts were recorded from (Trezor One 1.14.1; Model T 2.4.1
 * and 2.8.9; Safe 3 and Safe 5 2.8.9), the default texts of their Failure messages, and which
 * fields each firmware puts into Features and DebugLinkState in which state. Kept apart from the
 * device mechanics so that "what does 1.14.1 send when locked" is answered in one place.
 *
 * The version can be claimed (`new VirtualTrezor({ model: 'T2T1', firmware: '2.5.3' })`):
 * Features then report it and the handlers turn on what came with it (FIRMWARE_SINCE). The
 * rest — Features layout, screens, texts — follows one of the recorded firmwares, chosen by
 * layoutOf(): a Model T claiming less than 2.8.1 plays 2.4.1 ('UI1'), from 2.8.1 on (the first
 * firmware that names its screens in ButtonRequest.name) it plays 2.8.9 ('Bolt'); the Safe 3
 * ('Caesar') and the Safe 5 ('Delizia') play 2.8.9 and take claims from 2.8.1 on.
 */
import type { Capability, DebugLinkState, FailureType, Features } from '../../messages/index.js';
import type { Layout, Model } from './context.js';

/** Features fields Core 2.8.9 adds, per model (core/src/apps/base.py get_features at core/v2.8.9). */
export interface CurrentCoreFeatures {
  readonly homescreenFormat: 'Jpeg' | 'ToiG';
  readonly homescreenWidth: number;
  readonly homescreenHeight: number;
  /** utils.USE_SD_CARD: sd_card_present (the emulator reports a card), sd_protection. */
  readonly sdCard: boolean;
  /** utils.bootloader_locked(): reported by the Safe models only (the Model T has no such lock). */
  readonly bootloaderLocked?: boolean;
  /** utils.USE_OPTIGA: optiga_sec (the secure element's security event counter). */
  readonly optiga: boolean;
}

export interface FirmwareProfile {
  readonly model: Model;
  /** How the firmware draws and names its screens (see layoutOf). */
  readonly layout: Layout;
  /** Features.model */
  readonly marketingModel: string;
  readonly version: readonly [number, number, number];
  readonly capabilities: readonly Capability[];
  /** Features.revision: the firmware's source revision (ours: a fixed tag, masked in replays). */
  readonly revision: Uint8Array;
  /** Features.bootloader_hash (Trezor One only). */
  readonly bootloaderHash?: Uint8Array;
  /** Features.fw_vendor (Trezor One and Core 2.8.9). */
  readonly fwVendor?: string;
  /** The fields Core 2.8.9 adds to Features (absent: the 2.4.1 layout). */
  readonly current?: CurrentCoreFeatures;
  /** Default Failure texts, by code. */
  readonly failureText: Partial<Record<FailureType, string>>;
  /** Text of Success after LockDevice / EndSession. */
  readonly lockText: string;
  readonly endSessionText: string;
}

const T1_CAPABILITIES: readonly Capability[] = [
  'Capability_Bitcoin',
  'Capability_Bitcoin_like',
  'Capability_Crypto',
  'Capability_Ethereum',
  'Capability_NEM',
  'Capability_Stellar',
  'Capability_U2F',
];

const T2_CAPABILITIES: readonly Capability[] = [
  'Capability_Bitcoin',
  'Capability_Bitcoin_like',
  'Capability_Binance',
  'Capability_Cardano',
  'Capability_Crypto',
  'Capability_EOS',
  'Capability_Ethereum',
  'Capability_Lisk',
  'Capability_Monero',
  'Capability_NEM',
  'Capability_Ripple',
  'Capability_Stellar',
  'Capability_Tezos',
  'Capability_U2F',
  'Capability_Shamir',
  'Capability_ShamirGroups',
  'Capability_PassphraseEntry',
];

/**
 * Capabilities of Core 2.8.9, in its order (core/src/apps/base.py): the common list, then NEM
 * and EOS on the Model T only, then Brightness on the models with a backlight (not the Safe 3's
 * OLED). Checked against the Features of the 2.8.9 emulators.
 */
const CORE_289_CAPABILITIES: readonly Capability[] = [
  'Capability_Bitcoin',
  'Capability_Bitcoin_like',
  'Capability_Binance',
  'Capability_Cardano',
  'Capability_Crypto',
  'Capability_Ethereum',
  'Capability_Monero',
  'Capability_Ripple',
  'Capability_Stellar',
  'Capability_Tezos',
  'Capability_U2F',
  'Capability_Shamir',
  'Capability_ShamirGroups',
  'Capability_PassphraseEntry',
  'Capability_Solana',
  'Capability_Translations',
];

/** 20 bytes that say what this is; real devices put a git commit hash here. */
const REVISION = /* @__PURE__ */ new TextEncoder().encode('trezor-direct:virtua');

/** Texts of legacy/firmware/fsm.c fsm_sendFailure() when called without a text. */
const T1_TEXTS: Partial<Record<FailureType, string>> = {
  Failure_UnexpectedMessage: 'Unexpected message',
  Failure_ButtonExpected: 'Button expected',
  Failure_DataError: 'Data error',
  Failure_ActionCancelled: 'Action cancelled by user',
  Failure_PinExpected: 'PIN expected',
  Failure_PinCancelled: 'PIN cancelled',
  Failure_PinInvalid: 'PIN invalid',
  Failure_InvalidSignature: 'Invalid signature',
  Failure_ProcessError: 'Process error',
  Failure_NotEnoughFunds: 'Not enough funds',
  Failure_NotInitialized: 'Device not initialized',
  Failure_PinMismatch: 'PIN mismatch',
  Failure_WipeCodeMismatch: 'Wipe code mismatch',
  Failure_InvalidSession: 'Invalid session',
  Failure_FirmwareError: 'Firmware error',
};

/** Texts core/src/trezor/wire uses for the same codes. */
const T2_TEXTS: Partial<Record<FailureType, string>> = {
  Failure_UnexpectedMessage: 'Unexpected message',
  Failure_DataError: 'Data error',
  Failure_ActionCancelled: 'Cancelled',
  Failure_PinCancelled: 'PIN entry cancelled',
  Failure_PinInvalid: 'PIN invalid',
  Failure_InvalidSignature: 'Invalid signature',
  Failure_ProcessError: 'Process error',
  Failure_NotEnoughFunds: 'Not enough funds',
  Failure_NotInitialized: 'Device is not initialized',
  Failure_PinMismatch: 'PIN mismatch',
  Failure_InvalidSession: 'Invalid session',
  Failure_FirmwareError: 'Firmware error',
};

/** The default profile of each model: the firmware its recordings come from. */
export const PROFILES: Record<Model, FirmwareProfile> = {
  T1B1: {
    model: 'T1B1',
    layout: 'T1',
    marketingModel: '1',
    version: [1, 14, 1],
    capabilities: T1_CAPABILITIES,
    revision: REVISION,
    bootloaderHash: /* @__PURE__ */ new Uint8Array(32),
    fwVendor: 'VIRTUAL',
    failureText: T1_TEXTS,
    lockText: 'Session cleared',
    endSessionText: 'Session ended',
  },
  T2T1: {
    model: 'T2T1',
    layout: 'UI1',
    marketingModel: 'T',
    version: [2, 4, 1],
    capabilities: T2_CAPABILITIES,
    revision: REVISION,
    failureText: T2_TEXTS,
    lockText: '',
    endSessionText: '',
  },
  T2B1: {
    model: 'T2B1',
    layout: 'Caesar',
    marketingModel: 'Safe 3',
    version: [2, 8, 9],
    capabilities: CORE_289_CAPABILITIES,
    revision: REVISION,
    fwVendor: 'VIRTUAL',
    current: { homescreenFormat: 'ToiG', homescreenWidth: 128, homescreenHeight: 64, sdCard: false, bootloaderLocked: true, optiga: true },
    failureText: T2_TEXTS,
    lockText: '',
    endSessionText: '',
  },
  T3T1: {
    model: 'T3T1',
    layout: 'Delizia',
    marketingModel: 'Safe 5',
    version: [2, 8, 9],
    capabilities: [...CORE_289_CAPABILITIES, 'Capability_Brightness'],
    revision: REVISION,
    fwVendor: 'VIRTUAL',
    current: { homescreenFormat: 'Jpeg', homescreenWidth: 240, homescreenHeight: 240, sdCard: true, bootloaderLocked: true, optiga: true },
    failureText: T2_TEXTS,
    lockText: '',
    endSessionText: '',
  },
  // The Safe 7 speaks THP only (VirtualTrezorOptions.thp). No recording of its firmware exists
  // here: it plays the Safe 5's screens and Features with its own model name and the first THP
  // firmware's version (2.9.1, docs/common/thp and the issue: THP's wire code is in 2.9.1+).
  T3W1: {
    model: 'T3W1',
    layout: 'Delizia',
    marketingModel: 'Safe 7',
    version: [2, 9, 1],
    capabilities: [...CORE_289_CAPABILITIES, 'Capability_Brightness'],
    revision: REVISION,
    fwVendor: 'VIRTUAL',
    current: { homescreenFormat: 'Jpeg', homescreenWidth: 240, homescreenHeight: 240, sdCard: false, bootloaderLocked: true, optiga: true },
    failureText: T2_TEXTS,
    lockText: '',
    endSessionText: '',
  },
};

/** The Model T as it plays 2.8.9 (claimed from CURRENT_CORE_SINCE on). */
const T2T1_CURRENT: FirmwareProfile = {
  ...PROFILES.T2T1,
  layout: 'Bolt',
  version: [2, 8, 9],
  capabilities: [...CORE_289_CAPABILITIES, 'Capability_NEM', 'Capability_EOS', 'Capability_Brightness'],
  fwVendor: 'VIRTUAL',
  current: { homescreenFormat: 'Jpeg', homescreenWidth: 240, homescreenHeight: 240, sdCard: true, optiga: false },
};

/**
 * The first firmware the virtual device plays with the 2.8.9 screens and Features: 2.8.1 sent
 * the first ButtonRequest.name (common/protob/messages-common.proto), which every 2.8.9 screen
 * carries. A Model T claiming less plays 2.4.1; the Safe models take no lower claim.
 */
export const CURRENT_CORE_SINCE: FirmwareVersion = [2, 8, 1];

/**
 * The profile of a model claiming `version` (default: the recorded one).
 * @example profileFor('T2T1', [2, 8, 9]).layout // 'Bolt'
 */
export function profileFor(model: Model, version?: FirmwareVersion): FirmwareProfile {
  const base = PROFILES[model];
  if (!version) return base;
  if (model === 'T2T1' && atLeast(version, CURRENT_CORE_SINCE)) return { ...T2T1_CURRENT, version };
  return { ...base, version };
}

/**
 * How a model claiming `version` draws and names its screens, by trezorlib's layout names
 * (python/src/trezorlib/debuglink.py LayoutType): 'T1' the Trezor One; 'UI1' the Model T as
 * 2.4.1; 'Bolt' the Model T as 2.8.9; 'Caesar' the Safe 3; 'Delizia' the Safe 5.
 * @example layoutOf('T2T1', [2, 8, 1]) // 'Bolt'
 */
export function layoutOf(model: Model, version?: FirmwareVersion): Layout {
  return profileFor(model, version).layout;
}

function atLeast(version: FirmwareVersion, since: FirmwareVersion): boolean {
  for (let i = 0; i < 3; i++) if (version[i] !== since[i]) return version[i]! > since[i]!;
  return true;
}

/** Trezor One: the only messages looked at while waiting for an ack (legacy messages.c msg_read_tiny). */
export const TINY_MESSAGES: ReadonlySet<string> = /* @__PURE__ */ new Set([
  'PinMatrixAck',
  'ButtonAck',
  'PassphraseAck',
  'Cancel',
  'Initialize',
]);

/** Model T: requests served without unlocking first (core apps/base.py, 2.4.x). */
export const ALLOWED_WHILE_LOCKED: ReadonlySet<string> = /* @__PURE__ */ new Set([
  'Initialize',
  'GetFeatures',
  'Cancel',
  'LockDevice',
  'EndSession',
  'WipeDevice',
  'DoPreauthorized',
  'SetBusy',
]);

/** Core 2.8.9 adds Ping (core/src/trezor/workflow.py ALLOW_WHILE_LOCKED). */
export const ALLOWED_WHILE_LOCKED_289: ReadonlySet<string> = /* @__PURE__ */ new Set([...ALLOWED_WHILE_LOCKED, 'Ping']);

/** Largest string each Trezor One message field accepts (nanopb max_size - 1), by "Message.field". */
export const T1_STRING_LIMITS: Readonly<Record<string, number>> = {
  'PinMatrixAck.pin': 50,
  'PassphraseAck.passphrase': 50,
  'ApplySettings.label': 32,
  'ApplySettings.language': 16,
  'LoadDevice.label': 32,
  'LoadDevice.pin': 50,
  'ResetDevice.label': 32,
  'Ping.message': 256,
};

/** Auto-lock bounds of both firmwares, in ms. */
export const AUTOLOCK_DEFAULT_MS = 600_000;
export const AUTOLOCK_MIN_MS = 10_000;
export const AUTOLOCK_MAX_MS = 0x1fff_ffff;
/** Wrong PIN attempts after which the storage wipes itself. */
export const PIN_MAX_TRIES = 16;
/** Sessions kept in RAM (legacy config.c MAX_SESSIONS_COUNT, core storage/cache.py). */
export const MAX_SESSIONS = 10;
/** Passphrase limit in UTF-8 bytes. */
export const MAX_PASSPHRASE_BYTES = 50;

/** A firmware version: [major, minor, patch]. */
export type FirmwareVersion = readonly [number, number, number];

/**
 * Version-gated behaviour of the handlers: the first firmware with it, per firmware family —
 * T1B1 for the Trezor One's legacy firmware, T2T1 for Core, which every later model runs too
 * (undefined: never in that family). Handlers ask firmwareHas() instead of comparing versions
 * themselves. Sources: the firmware changelogs (legacy/firmware/CHANGELOG.md,
 * core/CHANGELOG.md) and shared PROTOCOL.md §12.
 */
export const FIRMWARE_SINCE: Readonly<Record<FirmwareFeature, Readonly<{ T1B1?: FirmwareVersion; T2T1?: FirmwareVersion }>>> = {
  /** Taproot receive and spend (SPENDTAPROOT / PAYTOTAPROOT, m/86', bech32m); no previous tx when all inputs are taproot. */
  taproot: { T1B1: [1, 10, 4], T2T1: [2, 4, 3] },
  /** EthereumSignTxEIP1559. */
  eip1559: { T1B1: [1, 10, 4], T2T1: [2, 4, 2] },
  /** EthereumSignTypedData, the full EIP-712 struct/value exchange (Core only). */
  ethereumSignTypedData: { T2T1: [2, 4, 3] },
  /** EthereumSignTypedHash, EIP-712 from host-computed hashes (Trezor One only). */
  ethereumSignTypedHash: { T1B1: [1, 10, 5] },
  /** UnlockPath and SLIP-25 coinjoin accounts (m/10025'), from trezor-firmware #2718. */
  unlockPath: { T1B1: [1, 12, 1], T2T1: [2, 5, 3] },
  /**
   * SignMessage honours no_script_type (the header byte stays 27 + recid + 4 for segwit keys);
   * before, it was ignored (trezor-firmware #1586: legacy 4146ab7f9e, core bc4a56b2c0).
   */
  signMessageNoScriptType: { T1B1: [1, 10, 4], T2T1: [2, 4, 3] },
  /**
   * Core SignMessage checks the path against the script type and shows the address before the
   * message (core cf14e06aa0, 03b1b3bc6b; the Trezor One always showed it). 2.4.1 shows only
   * the message and warns only of a path outside the coin's keychain.
   */
  signMessageShowsAddress: { T2T1: [2, 4, 3] },
  /**
   * VerifyMessage takes the script type from the address, so a segwit address verifies with a
   * 27-34 header (Electrum), and Core ends with "The signature is valid." (legacy cb21c7e415,
   * core 4d40d6dbfc, d52a59e37b). Core before it takes the script type from the header. A Trezor
   * One claiming older firmware still verifies as 1.14.1 does.
   */
  verifyMessageByAddress: { T1B1: [1, 11, 1], T2T1: [2, 5, 1] },
  /** Address.mac, the SLIP-24 address MAC (core d0c3a6a2fa, between 2.4.3 and 2.5.1; not in the One's 1.14.1). */
  addressMac: { T2T1: [2, 5, 1] },
  /** Core GetPublicKey answers with the account's BIP-380 descriptor (core/CHANGELOG.md 2.7.0, #3539; the One always did here). */
  xpubDescriptor: { T1B1: [1, 0, 0], T2T1: [2, 7, 0] },
  /**
   * SLIP-19 ownership proofs signed over body ‖ len(scriptPubKey) ‖ scriptPubKey ‖ len(commitment)
   * ‖ commitment, the final form (core apps/bitcoin/ownership.py writes them prefixed from
   * core/v2.5.1; 2.4.x hashed the two bare, the earlier draft). The One has it in 1.14.1.
   */
  slip19FinalProof: { T1B1: [1, 0, 0], T2T1: [2, 5, 1] },
  /**
   * Zcash version 5 transactions (ZIP-225, ZIP-244 digests): legacy/firmware/CHANGELOG.md 1.11.1
   * and core/CHANGELOG.md 2.5.1 "Support Zcash version 5 transaction format". Version 4 (Sapling)
   * is signed by every firmware served here.
   */
  zcashV5: { T1B1: [1, 11, 1], T2T1: [2, 5, 1] },
};

export type FirmwareFeature =
  | 'taproot'
  | 'eip1559'
  | 'ethereumSignTypedData'
  | 'ethereumSignTypedHash'
  | 'unlockPath'
  | 'signMessageNoScriptType'
  | 'signMessageShowsAddress'
  | 'verifyMessageByAddress'
  | 'xpubDescriptor'
  | 'addressMac'
  | 'slip19FinalProof'
  | 'zcashV5';

/**
 * Does the firmware the device claims have `feature`?
 * @example firmwareHas({ model: 'T2T1', version: [2, 4, 1] }, 'taproot') // false
 */
export function firmwareHas(device: { readonly model: Model; readonly version: FirmwareVersion }, feature: FirmwareFeature): boolean {
  const since = FIRMWARE_SINCE[feature][device.model === 'T1B1' ? 'T1B1' : 'T2T1'];
  return since !== undefined && atLeast(device.version, since);
}

/**
 * Parse a firmware version for a model ('1.12.1' for T1B1, '2.8.1' for T2T1); TypeError when
 * malformed, of the other family's major version, or below 2.8.1 for a Safe model (the virtual
 * Safe 3 and Safe 5 play 2.8.9 only: see CURRENT_CORE_SINCE).
 * @example parseFirmware('T2T1', '2.8.1') // [2, 8, 1]
 */
export function parseFirmware(model: Model, text: string): FirmwareVersion {
  const match = typeof text === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text) : null;
  if (!match) throw new TypeError(`VirtualTrezor: firmware must look like '2.8.1', got ${JSON.stringify(text)}`);
  const version = [Number(match[1]), Number(match[2]), Number(match[3])] as const;
  const major = PROFILES[model].version[0];
  if (version[0] !== major) throw new TypeError(`VirtualTrezor: ${model} firmware is ${major}.x.y, got ${text}`);
  if ((model === 'T2B1' || model === 'T3T1' || model === 'T3W1') && !atLeast(version, CURRENT_CORE_SINCE)) {
    throw new TypeError(`VirtualTrezor: the virtual ${model} plays firmware ${CURRENT_CORE_SINCE.join('.')} or newer, got ${text}`);
  }
  return version;
}

/**
 * Failure text for a message the firmware does not know (legacy messages.c: "Unknown message";
 * core wire: "Unexpected message"). A message older firmware lacked gets the same answer.
 */
export function unknownMessageText(model: Model): string {
  return model === 'T1B1' ? 'Unknown message' : 'Unexpected message';
}

/** Storage of the device (survives sessions and connections; cleared by WipeDevice). */
export interface DeviceStorage {
  initialized: boolean;
  mnemonic?: string;
  pin?: string;
  passphraseProtection: boolean;
  passphraseAlwaysOnDevice: boolean;
  label?: string;
  imported: boolean;
  needsBackup: boolean;
  noBackup: boolean;
  unfinishedBackup: boolean;
  safetyChecks: 'Strict' | 'PromptAlways' | 'PromptTemporarily';
  autoLockDelayMs: number;
  experimentalFeatures: boolean;
  displayRotation: number;
  /** ApplySettings.hide_passphrase_from_host (Core 2.8.9: no passphrase screens from the host). */
  hidePassphraseFromHost: boolean;
  homescreen?: Uint8Array;
  pinFailures: number;
  deviceId: string;
  u2fCounter: number;
  /**
   * Trezor One: the passphrase setting has been written (config_setPassphraseProtection), which
   * wallet creation and recovery do before the seed exists; DebugLinkState reports it from then on.
   */
  passphraseStored?: boolean;
}

/**
 * What the reset and recovery flows have on screen, for DebugLinkState (legacy
 * reset_get_word / reset_get_int_entropy / recovery_get_fake_word / recovery_get_word_pos).
 */
export interface LifecycleScreen {
  /** The backup word(s) on screen ('' when none). */
  resetWord: string;
  /** The device's half of the entropy of a seed being created. */
  resetEntropy?: Uint8Array;
  /** Trezor One scrambled recovery: the fake word asked for ('' for a real one). */
  recoveryFakeWord: string;
  /** Trezor One scrambled recovery: the position (1-24) of the word asked for, 0 for a fake one. */
  recoveryWordPos: number;
  /** Model T: the backup words of each page of the word screens (debug reset_current_words). */
  resetWordPages?: string[];
  /** Model T: the index (0-based) of the word the backup check asks for (debug reset_word_index). */
  resetWordPos?: number;
}

/** What Features and DebugLinkState are built from (the device runtime is one). */
export interface FirmwareState {
  readonly model: Model;
  readonly profile: FirmwareProfile;
  readonly storage: DeviceStorage;
  readonly unlocked: boolean;
  /** The "busy" screen is up (Features.busy: Trezor One, Core 2.8.9). */
  readonly busy: boolean;
  /** Text lines on the screen. */
  readonly screen: readonly string[];
  /** Trezor One: the PIN matrix on screen, keypad position order. */
  readonly matrix: string | undefined;
  readonly lifecycle: LifecycleScreen;
  /** The page of a paginated screen the user is on (Model T). */
  readonly pageIndex: number;
}

/** Features as the firmware fills them in the device's current state. */
export function buildFeatures(device: FirmwareState, sessionId?: Uint8Array): Features {
  const s = device.storage;
  const p = device.profile;
  const f: Features = {
    vendor: 'trezor.io',
    major_version: p.version[0],
    minor_version: p.version[1],
    patch_version: p.version[2],
    device_id: s.deviceId,
    pin_protection: s.pin !== undefined,
    passphrase_protection: s.passphraseProtection,
    language: 'en-US',
  };
  if (s.label !== undefined) f.label = s.label;
  f.initialized = s.initialized;
  f.revision = p.revision;
  if (device.model === 'T1B1') {
    f.bootloader_hash = p.bootloaderHash!;
    if (device.unlocked && s.imported) f.imported = true;
    f.unlocked = device.unlocked;
    f.backup_availability = s.needsBackup ? 'Required' : 'NotAvailable';
    f.model = p.marketingModel;
    f.fw_vendor = p.fwVendor!;
    f.unfinished_backup = s.unfinishedBackup;
    f.no_backup = s.noBackup;
    f.capabilities = [...p.capabilities];
    if (device.unlocked) f.wipe_code_protection = false;
    if (sessionId) f.session_id = sessionId;
    f.safety_checks = s.safetyChecks;
    if (device.unlocked) f.auto_lock_delay_ms = s.autoLockDelayMs;
    f.busy = device.busy;
    return f;
  }
  if (p.current) return currentCoreFeatures(device, f, p.current, sessionId);
  f.unlocked = device.unlocked;
  if (device.unlocked) {
    f.backup_availability = s.needsBackup ? 'Required' : 'NotAvailable';
    f.flags = 0;
  }
  f.model = p.marketingModel;
  if (device.unlocked) {
    f.unfinished_backup = s.unfinishedBackup;
    f.no_backup = s.noBackup;
    f.recovery_status = 'Nothing';
  }
  f.capabilities = [...p.capabilities];
  if (device.unlocked) f.backup_type = 'Bip39';
  f.sd_card_present = true;
  if (device.unlocked) {
    f.sd_protection = false;
    f.wipe_code_protection = false;
  }
  if (sessionId) f.session_id = sessionId;
  if (device.unlocked) {
    f.passphrase_always_on_device = s.passphraseAlwaysOnDevice;
    f.safety_checks = s.safetyChecks;
    f.auto_lock_delay_ms = s.autoLockDelayMs;
    f.display_rotation = s.displayRotation as Features['display_rotation'];
    f.experimental_features = s.experimentalFeatures;
  }
  return f;
}

/**
 * Core 2.8.9's Features (core/src/apps/base.py get_features): every model's fields, then the
 * private ones only while unlocked — passphrase_protection among them, which 2.4.1 always sent.
 */
function currentCoreFeatures(device: FirmwareState, f: Features, c: CurrentCoreFeatures, sessionId?: Uint8Array): Features {
  const s = device.storage;
  const p = device.profile;
  if (!device.unlocked) delete f.passphrase_protection;
  f.unlocked = device.unlocked;
  f.model = p.marketingModel;
  f.fw_vendor = p.fwVendor!;
  f.capabilities = [...p.capabilities];
  f.sd_card_present = c.sdCard;
  f.busy = device.busy;
  f.homescreen_format = c.homescreenFormat;
  f.internal_model = device.model;
  f.homescreen_width = c.homescreenWidth;
  f.homescreen_height = c.homescreenHeight;
  if (c.bootloaderLocked !== undefined) f.bootloader_locked = c.bootloaderLocked;
  f.language_version_matches = true;
  if (c.optiga) f.optiga_sec = 0;
  if (sessionId) f.session_id = sessionId;
  if (device.unlocked) {
    f.backup_availability = s.needsBackup ? 'Required' : 'NotAvailable';
    f.unfinished_backup = s.unfinishedBackup;
    f.no_backup = s.noBackup;
    f.flags = 0;
    f.recovery_status = 'Nothing';
    f.backup_type = 'Bip39';
    f.sd_protection = false;
    f.wipe_code_protection = false;
    f.passphrase_always_on_device = s.passphraseAlwaysOnDevice;
    f.safety_checks = s.safetyChecks;
    f.auto_lock_delay_ms = s.autoLockDelayMs;
    f.display_rotation = s.displayRotation as Features['display_rotation'];
    f.experimental_features = s.experimentalFeatures;
    f.hide_passphrase_from_host = s.hidePassphraseFromHost;
  }
  return f;
}

/** DebugLinkState as each firmware fills it (the PIN and mnemonic go only here: the debug link's job). */
export function buildDebugLinkState(device: FirmwareState, request: { wait_word_list?: boolean; wait_word_pos?: boolean } = {}): DebugLinkState {
  const s = device.storage;
  const mnemonic = s.initialized && device.unlocked && s.mnemonic !== undefined ? new TextEncoder().encode(s.mnemonic) : undefined;
  if (device.model === 'T1B1') {
    const state: DebugLinkState = { layout: layoutBytes(device.screen) };
    if (s.pin) state.pin = s.pin;
    state.matrix = device.matrix ?? 'XXXXXXXXX';
    if (mnemonic) state.mnemonic_secret = mnemonic;
    if (s.initialized || s.passphraseStored) state.passphrase_protection = s.passphraseProtection;
    const l = device.lifecycle;
    state.reset_word = l.resetWord;
    state.reset_entropy = l.resetEntropy ?? new Uint8Array(32);
    state.recovery_fake_word = l.recoveryFakeWord;
    state.recovery_word_pos = l.recoveryWordPos;
    return state;
  }
  const state: DebugLinkState = {};
  if (mnemonic) state.mnemonic_secret = mnemonic;
  state.passphrase_protection = s.passphraseProtection;
  // Core answers these only when asked (wait_word_list / wait_word_pos), from what the backup screens published.
  const pages = device.lifecycle.resetWordPages;
  if (request.wait_word_pos && device.lifecycle.resetWordPos !== undefined) state.reset_word_pos = device.lifecycle.resetWordPos;
  if (request.wait_word_list && pages) state.reset_word = pages[Math.min(device.pageIndex, pages.length - 1)]!;
  state.reset_entropy = device.lifecycle.resetEntropy ?? new Uint8Array(0);
  state.mnemonic_type = 'Bip39';
  state.tokens = [...device.screen];
  return state;
}

/** The Trezor One's 128x64 framebuffer; ours carries the screen text (tests mask it). */
function layoutBytes(screen: readonly string[]): Uint8Array {
  const layout = new Uint8Array(1024);
  layout.set(new TextEncoder().encode(screen.join('\n')).subarray(0, 1024));
  return layout;
}
