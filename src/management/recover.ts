/**
 * Seed recovery and the dry-run check of a backup: RecoveryDevice.
 *
 * A Trezor One asks the host for the words (WordRequest, answered through `ui.word`): in the
 * recommended matrix mode the user picks letter groups on the device's scrambled grid, so no
 * word ever crosses the wire; in scrambled-words mode the device asks for the words in random
 * order with fake words mixed in, and says on its own screen which one it wants (legacy
 * firmware recovery.c). The Core models take the words on their own screen; nothing but
 * ButtonRequests reaches the host.
 *
 * A dry run checks a backup against the seed on the device without changing anything. A
 * backup that does not match (or is not a valid mnemonic) is answered with a Failure once the
 * words are in — DataError on the One, ProcessError on Core — which is reported here as
 * `{ valid: false }` rather than thrown.
 */
import { invalidParameter, isTrezorError } from '../errors.js';
import type { Features, Trezor } from '../session/trezor.js';
import { abool, alabel, aoneOf, aparams, asignal, isTrezorOne } from './params.js';

/** How a Trezor One takes the words: 'matrix' (letter groups on its scrambled grid, the default) or 'words' (typed on the host). */
export type RecoveryInputMethod = 'matrix' | 'words';

export interface RecoverDeviceParameters {
  /** Length of the backup. Required on a Trezor One; the Core models ask on the device. */
  wordCount?: 12 | 18 | 24;
  /** Only check the backup against the device's seed; nothing is changed. */
  dryRun?: boolean;
  /** Device name for the recovered wallet (not with dryRun). */
  label?: string;
  /** Ask for a new PIN (not with dryRun). */
  pin?: boolean;
  /** Turn passphrase protection on (not with dryRun). */
  passphraseProtection?: boolean;
  /** Trezor One only, default 'matrix'. 'words' with fewer than 24 words needs safety checks relaxed. */
  inputMethod?: RecoveryInputMethod;
  signal?: AbortSignal;
}

/** Result of a dry run: whether the words entered are the device's own seed. */
export interface DryRunResult {
  valid: boolean;
}

const WORD_COUNTS = [12, 18, 24] as const;
const INPUT_METHODS: readonly RecoveryInputMethod[] = ['matrix', 'words'];
/** FailureType numbers (messages-common.proto) of a backup that does not match: DataError (One), ProcessError (Core). */
const MISMATCH_FAILURES = [3, 9];

/**
 * Recover a wallet from its backup words on a blank device (Features returned), or with
 * `dryRun: true` check the backup of an initialized one (`{ valid }` returned).
 * @example
 * const features = await recoverDevice(trezor, { wordCount: 12, pin: true }); // ui.word on a Trezor One
 * const { valid } = await recoverDevice(trezor, { wordCount: 24, dryRun: true });
 */
export async function recoverDevice(trezor: Trezor, params: RecoverDeviceParameters & { dryRun: true }): Promise<DryRunResult>;
export async function recoverDevice(trezor: Trezor, params: RecoverDeviceParameters & { dryRun?: false }): Promise<Readonly<Features>>;
export async function recoverDevice(trezor: Trezor, params: RecoverDeviceParameters): Promise<Readonly<Features> | DryRunResult>;
export async function recoverDevice(trezor: Trezor, params: RecoverDeviceParameters): Promise<Readonly<Features> | DryRunResult> {
  const p = aparams<RecoverDeviceParameters>(params, true);
  const one = isTrezorOne(trezor.features);
  const wordCount = aoneOf('wordCount', p.wordCount, WORD_COUNTS);
  if (one && wordCount === undefined) throw invalidParameter('wordCount', 'required on a Trezor One: 12, 18 or 24');
  const dryRun = abool('dryRun', p.dryRun) ?? false;
  const label = alabel('label', p.label);
  const pin = abool('pin', p.pin);
  const passphraseProtection = abool('passphraseProtection', p.passphraseProtection);
  const inputMethod = aoneOf('inputMethod', p.inputMethod, INPUT_METHODS) ?? 'matrix';
  const signal = asignal(p.signal);
  if (dryRun) {
    // The firmware refuses these in a dry run ("Forbidden field set in dry-run").
    for (const [field, value] of [['label', label], ['pin', pin], ['passphraseProtection', passphraseProtection]] as const) {
      if (value !== undefined) throw invalidParameter(field, 'not allowed with dryRun (a dry run changes nothing)');
    }
  }
  const message = {
    ...(one ? { word_count: wordCount, input_method: inputMethod === 'matrix' ? ('Matrix' as const) : ('ScrambledWords' as const) } : {}),
    enforce_wordlist: true,
    ...(dryRun
      ? { type: 'DryRun' as const }
      : {
          passphrase_protection: passphraseProtection ?? false,
          pin_protection: pin ?? false,
          ...(label !== undefined ? { label } : {}),
        }),
  };
  // The device has started on the words once it shows a screen or asks for a word; a
  // DataError/ProcessError from then on is its verdict on the backup.
  let started = false;
  const stop = trezor.on('button', () => (started = true));
  try {
    await trezor.typedCall('RecoveryDevice', message, 'Success', { signal });
  } catch (e) {
    if (dryRun && started && isTrezorError(e, 'FirmwareError') && MISMATCH_FAILURES.includes(e.failureCode ?? -1)) return { valid: false };
    throw e;
  } finally {
    stop();
  }
  if (dryRun) return { valid: true };
  // A new seed starts a new session (trezorlib: client.init_device()).
  return trezor.initialize(undefined, { signal });
}
