/**
 * Recorded random choices: a test-only input of the virtual device, for transcript replay.
 *
 * The official Trezor One emulator draws its randomness from crypto/rand_insecure.c, the
 * Numerical Recipes LCG (seed = 1664525 * seed + 1013904223), which the device-test fixture
 * reseeds to 0 (DebugLinkReseedRandom) before it wipes the device. That is deterministic, but
 * which draw a given choice gets depends on every draw before it, and most of those are inside
 * the firmware's storage code: wipe salts and keys, a random mask per word compared in
 * secequal32(), a wait_random() delay around PIN and wipe-code checks, session ids. The virtual
 * device does not model the storage internals, so it cannot arrive at the same draw.
 *
 * What a recording shows through the debug link — the way trezorlib's tests read it — can be
 * chosen again instead: the device's internal entropy of each ResetDevice round
 * (EntropyRequest.prev_entropy of the next round reveals it; DebugLinkState.reset_entropy while
 * the seed is made), and the order and fake words of a scrambled-words recovery
 * (DebugLinkState.recovery_word_pos / recovery_fake_word at each WordRequest). Everything that
 * follows from those the virtual device still computes itself, and the replay checks it: the
 * entropy commitment (HMAC-SHA256 keyed with the entropy), the word requests, the seed built from
 * the answers, the dry-run verdict, the Features after.
 *
 * Never for anything but a replay: with these set, the device's secrets are the recording's.
 */

export interface RecordedChoices {
  /** The device's internal entropy of each ResetDevice round, in the order of the rounds (32 bytes each). */
  resetEntropy?: readonly Uint8Array[];
  /**
   * Scrambled-words recovery (Trezor One): what each WordRequest asked for, in order — the
   * position (1-24) of a real word, or 0 with the fake word shown. 24 entries a recovery.
   */
  recoveryWords?: readonly { position: number; fakeWord: string }[];
}

/** Hands out recorded choices in order; a device without them draws its own. */
export class RecordedChoiceQueue {
  private entropy: Uint8Array[];
  private words: { position: number; fakeWord: string }[];

  constructor(choices: RecordedChoices = {}) {
    this.entropy = [...(choices.resetEntropy ?? [])];
    this.words = [...(choices.recoveryWords ?? [])];
  }

  /** The next round's internal entropy, if the recording shows it. */
  resetEntropy(): Uint8Array | undefined {
    return this.entropy.shift();
  }

  /**
   * The word order of the next scrambled recovery of `count` words, if the recording shows a
   * complete one: 24 requests, each real position once, fake words for the rest.
   */
  recoveryWords(count: number): { position: number; fakeWord: string }[] | undefined {
    const next = this.words.slice(0, 24);
    const positions = next.filter((w) => w.position > 0).map((w) => w.position).sort((a, b) => a - b);
    const complete =
      next.length === 24 &&
      positions.length === count &&
      positions.every((p, i) => p === i + 1) &&
      next.every((w) => w.position > 0 || w.fakeWord !== '');
    if (!complete) return undefined;
    this.words = this.words.slice(24);
    return next;
  }
}
