// SignMessage and VerifyMessage on the virtual device answer as the firmware it claims.
//
// Ground truth, all public:
// - the vector test_signmessage[segwit-p2sh] of trezor-firmware tests/device_tests/bitcoin/
//   test_signmessage.py (SLIP-14 seed, m/49'/0'/0'/0/0, no_script_type): signature 1f744de4…;
// - the Trezor One 1.14.1 emulator's recording of test_signmessage[segwit-p2sh0] (same key and
//   message, without the flag): 23744de4…, the same r ‖ s under the P2SH-P2WPKH header;
// - what each firmware does (trezor-firmware sources): core/v2.4.1 sign_message.py ignores
//   no_script_type, confirms only the message and validates the path without its script type;
//   2.4.3 honours the flag, confirms the address first and checks the path against the script
//   type (#1586, #1656); verify_message.py before 2.5.1 reads the script type from the header,
//   from 2.5.1 (and legacy 1.11.1) from the address, and Core then shows "The signature is valid.".
import { hex } from '@scure/base';
import { afterEach, describe, expect, it } from 'vitest';
import { openVirtualWire } from './support/virtual-wire.js';
import type { AnyMessage, MessageMap } from '../src/messages/index.js';
import type { Model } from '../src/testing/virtual/context.js';
import type { VirtualTrezor } from '../src/testing/virtual/device.js';

const H = 0x80000000;
const BIP49 = [(H | 49) >>> 0, H >>> 0, H >>> 0, 0, 0];
const BIP44 = [(H | 44) >>> 0, H >>> 0, H >>> 0, 0, 0];
const MESSAGE = new TextEncoder().encode('This is an example of a signed message.');
const P2SH_ADDRESS = '3L6TyTisPBmrDAj6RoKmDzNnj4eQi54gD2';
const R_S = '744de4516fac5c140808015664516a32fead94de89775cec7e24dbc24fe133075ac09301c4cc8e197bea4b6481661d5b8e9bf19d8b7b8a382ecdb53c2ee0750d';
/** The vector: no_script_type honoured (27 + recid + 4). */
const PLAIN = `1f${R_S}`;
/** The 1.14.1 recording without the flag: the P2SH-P2WPKH header (+4). */
const P2SH_SEGWIT = `23${R_S}`;

const devices: VirtualTrezor[] = [];
afterEach(async () => {
  for (const device of devices.splice(0)) await device.close();
});

/** A seeded device and a call() that acknowledges every ButtonRequest and records its code. */
const open = (model: Model, firmware?: string) => openVirtualWire(devices, model, firmware);

function signatureOf(answer: AnyMessage): string {
  expect(answer.type).toBe('MessageSignature');
  const { address, signature } = answer.message as MessageMap['MessageSignature'];
  expect(address).toBe(P2SH_ADDRESS);
  return hex.encode(signature);
}

const signP2sh = { address_n: BIP49, message: MESSAGE, coin_name: 'Bitcoin', script_type: 'SPENDP2SHWITNESS', no_script_type: true } as const;

describe('SignMessage with no_script_type', () => {
  it('Trezor One 1.14.1 honours it: the vector, after the address and the message screens', async () => {
    const call = await open('T1B1');
    const { answer, buttons } = await call('SignMessage', signP2sh);
    expect(signatureOf(answer)).toBe(PLAIN);
    expect(buttons).toEqual(['ButtonRequest_Other', 'ButtonRequest_Other']);
  });

  it('a Trezor One claiming 1.10.3 ignores it', async () => {
    const call = await open('T1B1', '1.10.3');
    expect(signatureOf((await call('SignMessage', signP2sh)).answer)).toBe(P2SH_SEGWIT);
  });

  it('Model T 2.4.1 ignores it and confirms only the message', async () => {
    const call = await open('T2T1');
    const { answer, buttons } = await call('SignMessage', signP2sh);
    expect(signatureOf(answer)).toBe(P2SH_SEGWIT);
    expect(buttons).toEqual(['ButtonRequest_Other']);
  });

  it('Model T 2.4.3 honours it and confirms the address, then the message', async () => {
    const call = await open('T2T1', '2.4.3');
    const { answer, buttons } = await call('SignMessage', signP2sh);
    expect(signatureOf(answer)).toBe(PLAIN);
    expect(buttons).toEqual(['ButtonRequest_Other', 'ButtonRequest_Other']);
  });

  it('without the flag every firmware marks the script type', async () => {
    for (const [model, firmware] of [['T1B1', undefined], ['T2T1', undefined], ['T2T1', '2.8.1']] as const) {
      const call = await open(model, firmware);
      expect(signatureOf((await call('SignMessage', { ...signP2sh, no_script_type: false })).answer)).toBe(P2SH_SEGWIT);
    }
  });
});

describe('SignMessage paths and script types on the Model T', () => {
  const mismatched = { address_n: BIP44, message: MESSAGE, coin_name: 'Bitcoin', script_type: 'SPENDP2SHWITNESS' } as const;

  it('2.4.1 signs a BIP-44 path as P2SH-P2WPKH without a warning: the keychain knows the path', async () => {
    const call = await open('T2T1');
    const { answer, buttons } = await call('SignMessage', mismatched);
    expect(answer.type).toBe('MessageSignature');
    expect(buttons).toEqual(['ButtonRequest_Other']);
  });

  it('2.4.3 warns first: the path does not fit the script type', async () => {
    const call = await open('T2T1', '2.4.3');
    const { answer, buttons } = await call('SignMessage', mismatched);
    expect(answer.type).toBe('MessageSignature');
    expect(buttons).toEqual(['ButtonRequest_UnknownDerivationPath', 'ButtonRequest_Other', 'ButtonRequest_Other']);
  });

  it('2.4.1 refuses a script type without an address after the message screen, in get_address() words', async () => {
    const call = await open('T2T1');
    const multisig = await call('SignMessage', { address_n: BIP44, message: MESSAGE, script_type: 'SPENDMULTISIG' });
    expect(multisig.answer).toMatchObject({ type: 'Failure', message: { code: 'Failure_ProcessError', message: 'Multisig details required' } });
    expect(multisig.buttons).toEqual(['ButtonRequest_Other']);
    const taproot = await call('SignMessage', { address_n: BIP44, message: MESSAGE, script_type: 'SPENDTAPROOT' });
    expect(taproot.answer).toMatchObject({ type: 'Failure', message: { code: 'Failure_ProcessError', message: 'Invalid script type' } });
  });
});

describe('VerifyMessage of a segwit signature in Bitcoin Core form', () => {
  const verifyWith = (signature: string) => ({ address: P2SH_ADDRESS, signature: hex.decode(signature), message: MESSAGE, coin_name: 'Bitcoin' });

  it('Model T 2.4.1 reads the script type from the header: a 1f header is P2PKH, not this address', async () => {
    const call = await open('T2T1');
    const plain = await call('VerifyMessage', verifyWith(PLAIN));
    expect(plain.answer).toMatchObject({ type: 'Failure', message: { code: 'Failure_ProcessError', message: 'Invalid signature' } });
    expect(plain.buttons).toEqual([]);
    const marked = await call('VerifyMessage', verifyWith(P2SH_SEGWIT));
    expect(marked.answer).toMatchObject({ type: 'Success', message: { message: 'Message verified' } });
    expect(marked.buttons).toEqual(['ButtonRequest_Other', 'ButtonRequest_Other']);
  });

  it('Model T 2.5.1 reads it from the address and ends with "The signature is valid."', async () => {
    const call = await open('T2T1', '2.5.1');
    for (const signature of [PLAIN, P2SH_SEGWIT]) {
      const { answer, buttons } = await call('VerifyMessage', verifyWith(signature));
      expect(answer).toMatchObject({ type: 'Success', message: { message: 'Message verified' } });
      expect(buttons).toEqual(['ButtonRequest_Other', 'ButtonRequest_Other', 'ButtonRequest_Success']);
    }
  });

  it('Trezor One 1.14.1 reads it from the address', async () => {
    const call = await open('T1B1');
    expect((await call('VerifyMessage', verifyWith(PLAIN))).answer).toMatchObject({ type: 'Success' });
  });
});
