// BIP-380 descriptor checksums and account descriptors, against the firmware's descriptor
// vectors (test/fixtures/vectors/slip14.json btc_descriptors) and BIP-380's own example.
import { describe, expect, it } from 'vitest';
import { accountDescriptor, decodeXpub, descriptorChecksum } from '../src/bitcoin/index.js';
import { isTrezorError } from '../src/errors.js';
import { parsePath } from '../src/path.js';
import { loadVectors } from './support/fixtures.js';

const TYPES = { pkh: 'p2pkh', 'sh(wpkh': 'p2sh-p2wpkh', wpkh: 'p2wpkh', tr: 'p2tr' } as const;

describe('descriptorChecksum (BIP-380)', () => {
  it("matches BIP-380's example", () => {
    expect(descriptorChecksum('raw(deadbeef)')).toBe('89f8spxm');
  });

  it('rejects characters outside the descriptor charset', () => {
    try {
      descriptorChecksum('wpkh(é)');
      throw new Error('no error');
    } catch (e) {
      expect(isTrezorError(e, 'InvalidParameters')).toBe(true);
    }
  });

  it('reproduces every btc_descriptors vector', () => {
    const vectors: { descriptor: string }[] = loadVectors().btc_descriptors;
    expect(vectors.length).toBeGreaterThan(0);
    for (const { descriptor } of vectors) {
      const [body, checksum] = descriptor.split('#');
      expect(descriptorChecksum(body!)).toBe(checksum);
      // Rebuild it from its parts.
      const match = /^(pkh|sh\(wpkh|wpkh|tr)\(\[([0-9a-f]{8})\/([^\]]+)\]([A-Za-z0-9]+)\/<0;1>\/\*\)+$/.exec(body!);
      expect(match).not.toBeNull();
      const [, wrapper, fingerprint, path, xpub] = match!;
      decodeXpub(xpub!);
      const rebuilt = accountDescriptor(TYPES[wrapper as keyof typeof TYPES], parseInt(fingerprint!, 16), parsePath(path!.replaceAll('h', "'")), xpub!);
      expect(rebuilt).toBe(descriptor);
    }
  });
});
