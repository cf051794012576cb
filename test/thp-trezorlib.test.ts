// Our THP core against trezorlib 0.20.1's THP client code (the client that must pair with our
// virtual device). Two layers:
// - recorded: test/fixtures/thp/trezorlib-vectors.json holds what trezorlib wrote and computed
//   when fed our device role's frames (made by test/support/make-thp-vectors.ts); CI checks our
//   host role writes the same bytes and our device role still produces the frames trezorlib
//   accepted, without Python;
// - live: the same cases run through /usr/bin/python3's trezorlib now (skipped, with the reason
//   printed, where it lacks trezorlib 0.20.1, e.g. Debian's older python3-trezor).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CodeEntryDevice,
  cpaceGenerator,
  cpaceKeys,
  cpaceSharedSecret,
  credentialMatches,
  elligator2,
  encodePackets,
  nfcTag,
  qrCodeTag,
} from '../src/protocol/thp/index.js';
import { fixturePath, hex, unhex } from './support/fixtures.js';
import { PAIRING_FIXED, buildHandshakeCase, handshakeTask, pairingTasks, runTrezorlib, trezorlibMissing } from './support/thp-cases.js';

const recorded = JSON.parse(readFileSync(fixturePath('thp/trezorlib-vectors.json'), 'utf8'));

/** Check one pairing-task result of trezorlib against our core. */
function checkPairing(input: any, result: any): void {
  const hh = input.handshake_hash ? unhex(input.handshake_hash) : new Uint8Array();
  switch (input.task) {
    case 'code_entry_host': {
      const device = new CodeEntryDevice(hh, unhex(input.secret));
      const { code } = device.readChallenge(unhex(input.challenge), PAIRING_FIXED.cpaceDevice);
      const rightCode = input.code === String(code).padStart(6, '0');
      // trezorlib accepts the revealed secret exactly when the code was right ...
      expect(result.accepted).toBe(rightCode);
      // ... and our device accepts trezorlib's CPace tag exactly then too.
      const read = () => device.readHostTag(unhex(result.cpace_host_public_key), unhex(result.tag));
      if (rightCode) expect(hex(read())).toBe(input.secret);
      else expect(read).toThrow(/tag mismatch/);
      break;
    }
    case 'qr_host':
      expect(result.accepted).toBe(true);
      expect(hex(qrCodeTag(hh, unhex(input.code)))).toBe(result.tag);
      break;
    case 'nfc_host':
      expect(result.accepted).toBe(true);
      expect(hex(nfcTag(hh, unhex(input.trezor_secret)))).toBe(result.tag);
      break;
    case 'cpace': {
      expect(hex(cpaceGenerator(input.code, hh))).toBe(result.generator);
      const keys = cpaceKeys(input.code, hh, unhex(input.private));
      expect(hex(keys.publicKey)).toBe(result.public);
      expect(hex(cpaceSharedSecret(keys.privateKey, unhex(input.peer)))).toBe(result.shared);
      expect(hex(elligator2(unhex(input.u)))).toBe(result.elligator2);
      break;
    }
    case 'matches':
      expect(credentialMatches(unhex(input.trezor), unhex(input.ephemeral), unhex(input.masked))).toBe(result.matches);
      break;
    case 'packets':
      expect(encodePackets({ ctrl: input.ctrl, cid: input.cid, data: unhex(input.data) }).map(hex)).toEqual(result.packets);
      break;
    default:
      throw new Error(`unknown task ${String(input.task)}`);
  }
}

describe('THP core against trezorlib 0.20.1 (recorded vectors)', () => {
  for (const vector of recorded.handshakes) {
    it(`handshake, ${vector.name}: our host writes what trezorlib wrote; our device answers as trezorlib accepted`, () => {
      const ours = buildHandshakeCase(vector.credentials.length > 0);
      expect(ours.hostPackets).toEqual(vector.trezorlib.written);
      expect(ours.devicePackets).toEqual(vector.devicePackets);
      expect(ours.handshakeHash).toBe(vector.trezorlib.handshake_hash);
      expect(ours.trezorState).toBe(parseInt(vector.trezorlib.pairing_state, 16));
      expect(ours.hostStaticPublicKey).toBe(vector.trezorlib.host_static_pubkey);
      // trezorlib decrypted our device's Features reply: session 0, type 17, the payload.
      expect(vector.trezorlib.app_reply).toBe('000011' + '0a097472657a6f722e696f1002');
    });
  }
  it('the paired case sent the matching credential and got PAIRED, the unpaired one UNPAIRED', () => {
    expect(recorded.handshakes.map((h: any) => h.trezorlib.pairing_state)).toEqual(['00', '01']);
  });
  for (const [i, vector] of recorded.pairing.entries()) {
    it(`pairing vector ${i} (${vector.input.task})`, () => checkPairing(vector.input, vector.trezorlib));
  }
  it('the recorded inputs are still what our device role produces', () => {
    expect(pairingTasks()).toEqual(recorded.pairing.map((p: any) => p.input));
  });
});

const missing = trezorlibMissing();
if (missing) console.log(`thp-trezorlib live checks skipped: ${missing}`);

describe.skipIf(missing !== undefined)('THP core against trezorlib 0.20.1 (live)', () => {
  it('trezorlib Channel.open() completes on our device frames, unpaired and with a credential', () => {
    const cases = [buildHandshakeCase(false), buildHandshakeCase(true)];
    const results = runTrezorlib(cases.map(handshakeTask));
    for (const [i, r] of results.entries()) {
      expect(r.written).toEqual(cases[i]!.hostPackets);
      expect(r.handshake_hash).toBe(cases[i]!.handshakeHash);
      expect(parseInt(r.pairing_state, 16)).toBe(cases[i]!.trezorState);
    }
  });
  it('trezorlib pairing code paths agree with our device role', () => {
    const tasks = pairingTasks();
    const results = runTrezorlib(tasks);
    for (const [i, r] of results.entries()) checkPairing(tasks[i], r);
  });
});
