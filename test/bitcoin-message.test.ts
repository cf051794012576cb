// Signed messages verified on the host: the firmware's signatures (btc_sign_message vectors)
// for P2PKH, P2SH-P2WPKH (also Bitcoin Core style "no script type") and P2WPKH, the header-byte
// rules, NFC normalisation of text, and what must not verify.
import { base64, hex } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { messageDigest, verifyMessage } from '../src/bitcoin/index.js';
import { getCoin, type CoinName } from '../src/bitcoin/coins.js';
import { messageBytes } from '../src/bitcoin/message.js';
import { isTrezorError } from '../src/errors.js';
import { loadVectors } from './support/fixtures.js';

interface Vector {
  coin: CoinName;
  message: string;
  expected_address: string;
  expected_signature: string;
  no_script_type: boolean;
  script_type: string;
}

describe('verifyMessage', () => {
  it('accepts every btc_sign_message vector and rejects its alterations', () => {
    const vectors: Vector[] = loadVectors().btc_sign_message;
    expect(vectors.length).toBe(5);
    for (const v of vectors) {
      const signature = base64.encode(hex.decode(v.expected_signature));
      expect(verifyMessage({ address: v.expected_address, message: v.message, signature, coin: v.coin })).toBe(true);
      // Raw bytes verify the same.
      expect(verifyMessage({ address: v.expected_address, message: new TextEncoder().encode(v.message), signature: hex.decode(v.expected_signature), coin: v.coin })).toBe(true);
      expect(verifyMessage({ address: v.expected_address, message: `${v.message}!`, signature, coin: v.coin })).toBe(false);
      const flipped = hex.decode(v.expected_signature);
      flipped[40]! ^= 1;
      expect(verifyMessage({ address: v.expected_address, message: v.message, signature: flipped, coin: v.coin })).toBe(false);
      // The header claims the address type: P2PKH headers (31..34) fit any type, segwit ones only theirs.
      const header = hex.decode(v.expected_signature)[0]!;
      if (v.script_type === 'SPENDWITNESS' && !v.no_script_type) {
        expect(header).toBeGreaterThanOrEqual(39);
        const asP2sh = hex.decode(v.expected_signature);
        asP2sh[0] = header - 4;
        expect(verifyMessage({ address: v.expected_address, message: v.message, signature: asP2sh, coin: v.coin })).toBe(false);
        const asCore = hex.decode(v.expected_signature);
        asCore[0] = header - 8;
        expect(verifyMessage({ address: v.expected_address, message: v.message, signature: asCore, coin: v.coin })).toBe(true);
      }
    }
  });

  it('does not verify a signature against another address of the same key', () => {
    const [p2pkh] = loadVectors().btc_sign_message as Vector[];
    const signature = base64.encode(hex.decode(p2pkh!.expected_signature));
    expect(verifyMessage({ address: '1DyHzbQUoQEsLxJn6M7fMD8Xdt1XvNiwNE', message: p2pkh!.message, signature })).toBe(false);
  });

  it('normalises text to NFC and passes bytes through', () => {
    const nfd = 'Pr\u030ci\u0301li\u0301s\u030c'; // "Příliš" decomposed
    const nfc = nfd.normalize('NFC');
    expect(hex.encode(messageBytes(nfd))).toBe(hex.encode(new TextEncoder().encode(nfc)));
    expect(hex.encode(messageBytes(new TextEncoder().encode(nfd)))).toBe(hex.encode(new TextEncoder().encode(nfd)));
  });

  it('hashes with the coin\'s header (Bitcoin and Testnet share one, Litecoin has its own)', () => {
    expect(hex.encode(messageDigest(getCoin('Bitcoin'), new TextEncoder().encode('hi')))).toBe(
      hex.encode(messageDigest(getCoin('Testnet'), new TextEncoder().encode('hi'))),
    );
    expect(hex.encode(messageDigest(getCoin('Litecoin'), new TextEncoder().encode('hi')))).not.toBe(
      hex.encode(messageDigest(getCoin('Bitcoin'), new TextEncoder().encode('hi'))),
    );
  });

  it('rejects malformed input with InvalidParameters', () => {
    const bad = (f: () => unknown, field: string) => {
      try {
        f();
        throw new Error('no error');
      } catch (e) {
        expect(isTrezorError(e, 'InvalidParameters') && (e as { field?: string }).field === field).toBe(true);
      }
    };
    bad(() => verifyMessage({ address: 'nope', message: 'x', signature: base64.encode(new Uint8Array(65)) }), 'address');
    bad(() => verifyMessage({ address: '1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL', message: 'x', signature: base64.encode(new Uint8Array(64)) }), 'signature');
    bad(() => verifyMessage({ address: 'bc1pgypgja2hmcx2l6s2ssq75k6ev68ved6nujcspt47dgvkp8euc70s6uegk6', message: 'x', signature: base64.encode(new Uint8Array(65)) }), 'address');
  });
});
