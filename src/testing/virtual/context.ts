/**
 * The contract between the VirtualTrezor's core (session state, PIN, passphrase, buttons,
 * wire loop) and its message handlers (management, Bitcoin, Ethereum, crypto). A handler is
 * an async function of one request that may prompt the user, ask the host further questions
 * (TxRequest → TxAck) and finally returns the answer message or throws a DeviceFailure —
 * the same shape as a firmware workflow.
 */
import type { HDKey } from '@scure/bip32';
import type { FailureType, MessageMap, MessageName } from '../../messages/index.js';
import type { Keychain } from './keychain.js';

/** The models the virtual device plays, by internal name (Features.internal_model). */
export type Model = 'T1B1' | 'T2T1' | 'T2B1' | 'T3T1' | 'T3W1';

/**
 * How the firmware the device plays draws and names its screens, by trezorlib's layout names
 * (python/src/trezorlib/debuglink.py LayoutType): 'T1' the Trezor One; 'UI1' the Model T as
 * 2.4.1 (trezorlib's legacy_ui); 'Bolt' the Model T as 2.8.9; 'Caesar' the Safe 3 (2.8.9);
 * 'Delizia' the Safe 5 (2.8.9). On the last three every ButtonRequest has a name and pages.
 */
export type Layout = 'T1' | 'UI1' | 'Bolt' | 'Caesar' | 'Delizia';

/** Failure codes by the firmware's FailureType names (messages-common.proto). */
export type FailureName = FailureType;

/** Thrown inside a handler; the core turns it into a `Failure` message to the host. */
export class DeviceFailure extends Error {
  constructor(
    readonly failureCode: FailureName,
    readonly text: string,
  ) {
    super(text);
    this.name = 'DeviceFailure';
  }
}

/** A reply from a handler: one message of any name with its fields. */
export type Reply = { [N in MessageName]: { type: N; message: MessageMap[N] } }[MessageName];

export interface ConfirmOptions {
  /**
   * ButtonRequest.pages. On 'UI1' and 'T1' only a paginated screen sends it; on the 2.8.9
   * layouts every ButtonRequest does (default 1).
   */
  pages?: number;
  /**
   * ButtonRequest.name, the screen's name on the 2.8.9 layouts (e.g. 'confirm_output'); older
   * firmware sends none. See screens.ts for the names and page counts per layout.
   */
  name?: string;
  /**
   * What the screen shows: lines separated by "\n", pages (Model T) by "\f". The virtual
   * device reports the current page through DebugLinkState (Trezor One: layout bytes, Model T:
   * tokens) and, when the host swipes with `wait`, through DebugLinkLayout — so transcripts
   * that read the screen replay only when the lines match the firmware's.
   */
  text?: string;
  /**
   * The user's "no" makes confirm() resolve false instead of failing with ActionCancelled,
   * for screens where "no" means something else (the Trezor One address screen shows its QR
   * code). Cancel / Initialize from the host still end the flow.
   */
  allowNo?: boolean;
}

export interface DeviceContext {
  readonly model: Model;
  /** How the firmware the device plays draws and names its screens. */
  readonly layout: Layout;
  /** Firmware version the device claims: [major, minor, patch]. */
  readonly version: readonly [number, number, number];
  /** Features.safety_checks as set by ApplySettings ('Strict' by default). */
  readonly safetyChecks: 'Strict' | 'PromptAlways' | 'PromptTemporarily';
  /**
   * The path prefix an UnlockPath right before this request unlocked (e.g. 10025' for the
   * SLIP-25 subtree), or undefined. It holds for one request only, as the firmware's.
   */
  readonly unlockedPath?: number;
  /** UnlockPath: unlock `purpose` for the next request. */
  unlockPath?(purpose: number): void;
  /**
   * The session's BIP-32 root (secp256k1): unlocks with the PIN and asks for the passphrase
   * first when needed, as the firmware does. Throws DeviceFailure (NotInitialized, PinInvalid,
   * ActionCancelled …) like the firmware.
   */
  root(): Promise<HDKey>;
  /** The 64-byte BIP-39 seed of this session (same prompts as root()). */
  seed(): Promise<Uint8Array>;
  /**
   * The keys of this session (same prompts as root()): nodes by path, derived once and kept
   * while the session's seed is (./keychain.ts).
   */
  keychain(): Promise<Keychain>;
  /** Unlock only (PIN), for flows that need an unlocked device but no seed. */
  unlock(): Promise<void>;
  /**
   * Show a confirmation screen: sends ButtonRequest with `code` (e.g.
   * 'ButtonRequest_ConfirmOutput'), waits for ButtonAck and then for the user's decision
   * (debug link press, or autoConfirm). 'no' throws DeviceFailure(ActionCancelled), or
   * resolves false with `allowNo`; 'yes' resolves true.
   */
  confirm(code: string, options?: ConfirmOptions): Promise<boolean | void>;
  /**
   * A screen the firmware puts up without a ButtonRequest (e.g. the "Address mismatch?" popup
   * after a "no" on Core 2.8.9), answered through the debug link: resolves true for "yes",
   * false for "no". Cancel / Initialize from the host end the flow as in confirm().
   */
  popup(text: string): Promise<boolean>;
  /**
   * Send `name` to the host and wait for its next message (e.g. TxRequest → TxAck). Returns
   * the raw wire type and payload so the handler can decode the variant it asked for
   * (all TxAck forms share id 22). Cancel from the host fails the flow with ActionCancelled;
   * Initialize aborts it and is then answered as a fresh request. With `expect` (the reply
   * names the flow accepts), any other message also aborts the flow silently and is
   * processed as a fresh request, as the firmware does.
   */
  ask<N extends MessageName>(
    name: N,
    message: MessageMap[N],
    expect?: readonly MessageName[],
  ): Promise<{ type: number; payload: Uint8Array }>;
}

/** A handler of one request type. */
export type Handler<N extends MessageName = MessageName> = (ctx: DeviceContext, request: MessageMap[N]) => Promise<Reply>;

/** Handlers by request name; each domain module exports one of these. */
export type HandlerTable = { [N in MessageName]?: Handler<N> };

export function fail(code: FailureName, text: string): never {
  throw new DeviceFailure(code, text);
}
