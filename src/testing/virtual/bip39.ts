/**
 * The firmware's test of a BIP-39 mnemonic (trezor-crypto bip39.c `mnemonic_check`, which
 * LoadDevice applies unless `skip_checksum`): 12, 18 or 24 words of the English list, one
 * space between them, and the checksum bits (one per 3 words) equal to the first bits of
 * SHA-256 of the entropy. 15- and 21-word mnemonics, valid in BIP-39, are not accepted there.
 *
 * The answer describes the problem without repeating the mnemonic or any word of it: a
 * mnemonic is a secret even when it is wrong (one mistyped word of a real seed).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { wordlist } from '@scure/bip39/wordlists/english.js';

const WORD_COUNTS = [12, 18, 24];
let indexOf: Map<string, number> | undefined;

/**
 * What keeps `mnemonic` from being a mnemonic the firmware accepts, or undefined when it is one.
 * @example mnemonicProblem('all all all') // 'expected 12, 18 or 24 words separated by single spaces, got 3'
 */
export function mnemonicProblem(mnemonic: unknown): string | undefined {
  if (typeof mnemonic !== 'string') return 'expected a string of words';
  const words = mnemonic.split(' ');
  if (!WORD_COUNTS.includes(words.length)) return `expected 12, 18 or 24 words separated by single spaces, got ${words.length}`;
  indexOf ??= new Map(wordlist.map((word, i) => [word, i]));
  const bits: number[] = [];
  for (let w = 0; w < words.length; w++) {
    const index = indexOf.get(words[w]!);
    if (index === undefined) return `word ${w + 1} is not in the BIP-39 English word list (lowercase words, single spaces)`;
    for (let b = 10; b >= 0; b--) bits.push((index >> b) & 1);
  }
  const checksumBits = words.length / 3;
  const entropy = new Uint8Array((bits.length - checksumBits) / 8);
  for (let i = 0; i < entropy.length * 8; i++) entropy[i >> 3]! |= bits[i]! << (7 - (i & 7));
  const expected = sha256(entropy)[0]! >> (8 - checksumBits);
  let given = 0;
  for (const bit of bits.slice(entropy.length * 8)) given = (given << 1) | bit;
  return given === expected ? undefined : 'its checksum does not match (a mistyped or missing word?)';
}
