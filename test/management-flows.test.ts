/**
 * trezor-direct/management against a scripted device: what each flow sends (the fields
 * trezorlib's device.reset / recover / apply_settings send, as in the recorded transcripts),
 * how it answers EntropyRequest and WordRequest, that bad arguments stop before anything
 * reaches the device, and that a word or PIN never appears in an error.
 */
import { describe, expect, it } from 'vitest';
import { connect, type UiHandlers } from '../src/index.js';
import { applySettings, backupDevice, changePin, recoverDevice, resetDevice, wipeDevice } from '../src/management/index.js';
import type { AnyMessage } from '../src/messages/index.js';
import { features, scriptedTransport, type ScriptedDevice } from './support/scripted-device.js';

const T2T1 = { model: 'T', internal_model: 'T2T1', major_version: 2, minor_version: 4, patch_version: 1 };

async function open(script: (d: ScriptedDevice) => Promise<void>, options: { ui?: UiHandlers; extra?: object } = {}) {
  let received: AnyMessage[] = [];
  const { transport, errors } = scriptedTransport(async (d) => {
    received = d.received;
    await d.expect('Initialize');
    d.send('Features', features(options.extra));
    await script(d);
  });
  const trezor = await connect({ transport, sessionId: null, ui: options.ui ?? {} });
  return { trezor, errors, sent: () => received.map((m) => m.type) };
}

async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

async function answerGetFeatures(d: ScriptedDevice, extra: object = {}) {
  await d.expect('GetFeatures');
  d.send('Features', features(extra));
}

/** After a new seed or a wipe the flows open a fresh session, as trezorlib's client.init_device(). */
async function answerInitialize(d: ScriptedDevice, extra: object = {}) {
  await d.expect('Initialize');
  d.send('Features', features(extra));
}

describe('arguments are checked before anything is sent', () => {
  const cases: [string, (t: any) => Promise<unknown>, string][] = [
    ['resetDevice strength', (t) => resetDevice(t, { strength: 160 as never }), 'strength'],
    ['resetDevice label too long', (t) => resetDevice(t, { label: 'x'.repeat(33) }), 'label'],
    ['resetDevice label of 11 three-byte characters', (t) => resetDevice(t, { label: '€'.repeat(11) }), 'label'],
    ['resetDevice pin', (t) => resetDevice(t, { pin: 'yes' as never }), 'pin'],
    ['resetDevice backup', (t) => resetDevice(t, { backup: 'cloud' as never }), 'backup'],
    ['resetDevice params', (t) => resetDevice(t, 'all' as never), 'params'],
    ['resetDevice signal', (t) => resetDevice(t, { signal: {} as never }), 'signal'],
    ['backupDevice signal', (t) => backupDevice(t, { signal: 1 as never }), 'signal'],
    ['recoverDevice without params', (t) => recoverDevice(t, undefined as never), 'params'],
    ['recoverDevice wordCount missing on a Trezor One', (t) => recoverDevice(t, {}), 'wordCount'],
    ['recoverDevice wordCount 13', (t) => recoverDevice(t, { wordCount: 13 as never }), 'wordCount'],
    ['recoverDevice label with dryRun', (t) => recoverDevice(t, { wordCount: 12, dryRun: true, label: 'x' } as never), 'label'],
    ['recoverDevice pin with dryRun', (t) => recoverDevice(t, { wordCount: 12, dryRun: true, pin: true } as never), 'pin'],
    ['recoverDevice passphraseProtection with dryRun', (t) => recoverDevice(t, { wordCount: 12, dryRun: true, passphraseProtection: false } as never), 'passphraseProtection'],
    ['recoverDevice inputMethod', (t) => recoverDevice(t, { wordCount: 12, inputMethod: 'voice' as never }), 'inputMethod'],
    ['changePin remove', (t) => changePin(t, { remove: 1 as never }), 'remove'],
    ['applySettings nothing to change', (t) => applySettings(t, {}), 'params'],
    ['applySettings without params', (t) => applySettings(t, undefined as never), 'params'],
    ['applySettings autoLockDelayMs too short', (t) => applySettings(t, { autoLockDelayMs: 9_999 }), 'autoLockDelayMs'],
    ['applySettings autoLockDelayMs fractional', (t) => applySettings(t, { autoLockDelayMs: 60_000.5 }), 'autoLockDelayMs'],
    ['applySettings safetyChecks', (t) => applySettings(t, { safetyChecks: 'Off' as never }), 'safetyChecks'],
    ['applySettings displayRotation', (t) => applySettings(t, { displayRotation: 45 as never }), 'displayRotation'],
    ['applySettings label', (t) => applySettings(t, { label: 7 as never }), 'label'],
    ['wipeDevice params', (t) => wipeDevice(t, 5 as never), 'params'],
  ];
  for (const [name, run, field] of cases) {
    it(name, async () => {
      const { trezor, sent } = await open(async () => {});
      const error = await caught(run(trezor));
      expect(error.code).toBe('InvalidParameters');
      expect(error.field).toBe(field);
      expect(sent()).toEqual(['Initialize']);
      await trezor.close();
    });
  }
});

describe('resetDevice', () => {
  it('sends ResetDevice as trezorlib does, answers EntropyRequest with 32 host bytes and returns fresh Features', async () => {
    let reset: any;
    let entropy: Uint8Array | undefined;
    const { trezor, errors } = await open(async (d) => {
      reset = await d.expect('ResetDevice');
      d.send('ButtonRequest', { code: 'ButtonRequest_ProtectCall' });
      await d.expect('ButtonAck');
      d.send('EntropyRequest', {});
      entropy = (await d.expect('EntropyAck')).entropy;
      d.send('Success', { message: 'Device successfully initialized' });
      await answerInitialize(d, { label: 'Savings', backup_availability: 'Required' });
    }, { extra: { initialized: false } });
    const result = await resetDevice(trezor, { strength: 128, label: 'Savings', pin: false, backup: 'later' });
    expect(reset).toEqual({ strength: 128, passphrase_protection: false, pin_protection: false, label: 'Savings', skip_backup: true, no_backup: false });
    expect(entropy).toHaveLength(32);
    expect(result.backup_availability).toBe('Required');
    expect(trezor.features.label).toBe('Savings');
    expect(errors).toEqual([]);
  });

  it('defaults: 256 bits, backup now; backup none sets no_backup', async () => {
    const seen: any[] = [];
    const { trezor } = await open(async (d) => {
      for (let i = 0; i < 2; i++) {
        seen.push(await d.expect('ResetDevice'));
        d.send('EntropyRequest', {});
        await d.expect('EntropyAck');
        d.send('Success', {});
        await answerInitialize(d);
      }
    });
    await resetDevice(trezor);
    await resetDevice(trezor, { backup: 'none' });
    expect(seen[0]).toMatchObject({ strength: 256, skip_backup: false, no_backup: false });
    expect(seen[1]).toMatchObject({ strength: 256, skip_backup: false, no_backup: true });
  });

  it('an initialized device refuses: UnexpectedMessage, nothing more sent', async () => {
    const { trezor, sent } = await open(async (d) => {
      await d.expect('ResetDevice');
      d.send('Failure', { code: 'Failure_UnexpectedMessage', message: 'Already initialized' });
    });
    expect((await caught(resetDevice(trezor))).code).toBe('UnexpectedMessage');
    expect(sent()).toEqual(['Initialize', 'ResetDevice']);
  });

  it('aborted while the device waits for entropy: Cancel goes out, ActionCancelled comes back', async () => {
    const controller = new AbortController();
    const { trezor, sent } = await open(async (d) => {
      await d.expect('ResetDevice');
      controller.abort();
      d.send('EntropyRequest', {});
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
    });
    expect((await caught(resetDevice(trezor, { signal: controller.signal }))).code).toBe('ActionCancelled');
    expect(sent()).not.toContain('EntropyAck');
  });
});

describe('recoverDevice', () => {
  it('Trezor One, matrix (the default): ui.word gets each request type, WordAck carries the key', async () => {
    const asked: string[] = [];
    const acks: string[] = [];
    let request: any;
    const { trezor } = await open(
      async (d) => {
        request = await d.expect('RecoveryDevice');
        for (const type of ['WordRequestType_Matrix9', 'WordRequestType_Matrix9', 'WordRequestType_Matrix6'] as const) {
          d.send('WordRequest', { type });
          acks.push((await d.expect('WordAck')).word);
        }
        d.send('Success', { message: 'Device recovered' });
        await answerInitialize(d, { label: 'x' });
      },
      { ui: { word: async ({ type }) => (asked.push(type), type === 'matrix6' ? '6' : ' 9 ') }, extra: { initialized: false } },
    );
    const result = await recoverDevice(trezor, { wordCount: 12, label: 'x', pin: false });
    expect(request).toEqual({ word_count: 12, input_method: 'Matrix', enforce_wordlist: true, passphrase_protection: false, pin_protection: false, label: 'x' });
    expect(asked).toEqual(['matrix9', 'matrix9', 'matrix6']);
    expect(acks).toEqual(['9', '9', '6']);
    expect(result).toMatchObject({ label: 'x' });
  });

  it('Trezor One, scrambled words: the typed word is sent trimmed and lower-cased', async () => {
    let request: any;
    let ack = '';
    const { trezor } = await open(
      async (d) => {
        request = await d.expect('RecoveryDevice');
        d.send('WordRequest', { type: 'WordRequestType_Plain' });
        ack = (await d.expect('WordAck')).word;
        d.send('Success', {});
        await answerInitialize(d);
      },
      { ui: { word: async () => ' Ritual ' }, extra: { initialized: false } },
    );
    await recoverDevice(trezor, { wordCount: 24, inputMethod: 'words' });
    expect(request.input_method).toBe('ScrambledWords');
    expect(ack).toBe('ritual');
  });

  it('a word answer of the wrong shape cancels the device and is never repeated in the error', async () => {
    const { trezor, sent } = await open(
      async (d) => {
        await d.expect('RecoveryDevice');
        d.send('WordRequest', { type: 'WordRequestType_Matrix6' });
        await d.expect('Cancel');
        d.send('Failure', { code: 'Failure_ActionCancelled' });
      },
      { ui: { word: async () => 'seven7' }, extra: { initialized: false } },
    );
    const error = await caught(recoverDevice(trezor, { wordCount: 12 }));
    expect(error.code).toBe('InvalidParameters');
    expect(error.field).toBe('word');
    expect(String(error.message)).not.toContain('seven7');
    expect(sent()).not.toContain('WordAck');
  });

  it('without ui.word a word request cancels with ActionCancelled', async () => {
    const { trezor } = await open(async (d) => {
      await d.expect('RecoveryDevice');
      d.send('WordRequest', { type: 'WordRequestType_Plain' });
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
    }, { extra: { initialized: false } });
    expect((await caught(recoverDevice(trezor, { wordCount: 12, inputMethod: 'words' }))).code).toBe('ActionCancelled');
  });

  it('dry run: Success is { valid: true }; the DataError after the verdict screen is { valid: false }', async () => {
    const requests: any[] = [];
    const { trezor } = await open(
      async (d) => {
        requests.push(await d.expect('RecoveryDevice'));
        d.send('Success', { message: 'The seed is valid and matches the one in the device' });
        requests.push(await d.expect('RecoveryDevice'));
        d.send('WordRequest', { type: 'WordRequestType_Plain' });
        await d.expect('WordAck');
        d.send('ButtonRequest', { code: 'ButtonRequest_Other' });
        await d.expect('ButtonAck');
        d.send('Failure', { code: 'Failure_DataError', message: 'The seed is valid but does not match the one in the device' });
      },
      { ui: { word: async () => 'all' } },
    );
    expect(await recoverDevice(trezor, { wordCount: 12, dryRun: true, inputMethod: 'words' })).toEqual({ valid: true });
    expect(await recoverDevice(trezor, { wordCount: 12, dryRun: true, inputMethod: 'words' })).toEqual({ valid: false });
    // trezorlib's dry-run message (transcripts reset_recovery/test_recovery_bip39_dryrun: 080c300140005001).
    expect(requests[0]).toEqual({ word_count: 12, input_method: 'ScrambledWords', enforce_wordlist: true, type: 'DryRun' });
  });

  it('dry run: a refusal before the device started (not initialized, advanced recovery required) is thrown', async () => {
    const { trezor } = await open(async (d) => {
      await d.expect('RecoveryDevice');
      d.send('Failure', { code: 'Failure_DataError', message: 'Advanced recovery must be used.' });
    });
    const error = await caught(recoverDevice(trezor, { wordCount: 12, dryRun: true, inputMethod: 'words' }));
    expect(error.code).toBe('FirmwareError');
    expect(error.failureCode).toBe(3);
  });

  it('Model T: no word count or input method is sent (the words are entered on the device)', async () => {
    let request: any;
    const { trezor } = await open(async (d) => {
      request = await d.expect('RecoveryDevice');
      d.send('ButtonRequest', { code: 'ButtonRequest_ProtectCall' });
      await d.expect('ButtonAck');
      d.send('Failure', { code: 'Failure_ProcessError', message: 'The seed does not match the one in the device' });
    }, { extra: T2T1 });
    expect(await recoverDevice(trezor, { dryRun: true })).toEqual({ valid: false });
    expect(request).toEqual({ enforce_wordlist: true, type: 'DryRun' });
  });
});

describe('changePin, applySettings, wipeDevice, backupDevice', () => {
  it('send their message, return after Success with refreshed Features', async () => {
    const seen: AnyMessage[] = [];
    const { trezor } = await open(async (d) => {
      for (let i = 0; i < 5; i++) {
        seen.push(await d.next());
        d.send('Success', {});
        // The wipe ends every session: Initialize, not GetFeatures, follows it.
        if (i === 3) await answerInitialize(d, { label: `after ${i}` });
        else await answerGetFeatures(d, { label: `after ${i}` });
      }
    });
    await changePin(trezor);
    await changePin(trezor, { remove: true });
    const applied = await applySettings(trezor, { label: 'New', passphraseProtection: true, autoLockDelayMs: 600_000, safetyChecks: 'PromptTemporarily' });
    await wipeDevice(trezor);
    await backupDevice(trezor);
    expect(seen).toEqual([
      { type: 'ChangePin', message: {} },
      { type: 'ChangePin', message: { remove: true } },
      { type: 'ApplySettings', message: { label: 'New', use_passphrase: true, auto_lock_delay_ms: 600_000, safety_checks: 'PromptTemporarily' } },
      { type: 'WipeDevice', message: {} },
      { type: 'BackupDevice', message: {} },
    ]);
    expect(applied.label).toBe('after 2');
    expect(trezor.features.label).toBe('after 4');
  });

  it('device refusals keep the session codes: wrong PIN, cancelled on the device', async () => {
    const { trezor } = await open(async (d) => {
      await d.expect('ChangePin');
      d.send('Failure', { code: 'Failure_PinInvalid', message: 'PIN invalid' });
      await d.expect('WipeDevice');
      d.send('Failure', { code: 'Failure_ActionCancelled' });
      await d.expect('BackupDevice');
      d.send('Failure', { code: 'Failure_ProcessError', message: 'Seed already backed up' });
    });
    expect((await caught(changePin(trezor))).code).toBe('PinInvalid');
    expect((await caught(wipeDevice(trezor))).code).toBe('ActionCancelled');
    expect((await caught(backupDevice(trezor))).code).toBe('FirmwareError');
  });

  it('the new PIN goes through ui.pin with its type and never into an error', async () => {
    const types: string[] = [];
    const { trezor } = await open(
      async (d) => {
        await d.expect('ChangePin');
        d.send('PinMatrixRequest', { type: 'PinMatrixRequestType_NewFirst' });
        await d.expect('PinMatrixAck');
        d.send('PinMatrixRequest', { type: 'PinMatrixRequestType_NewSecond' });
        await d.expect('PinMatrixAck');
        d.send('Failure', { code: 'Failure_PinMismatch', message: 'PIN mismatch' });
      },
      { ui: { pin: async ({ type }) => (types.push(type), types.length === 1 ? '1234' : '4321') } },
    );
    const error = await caught(changePin(trezor));
    expect(types).toEqual(['newFirst', 'newSecond']);
    expect(error.code).toBe('FirmwareError');
    expect(JSON.stringify({ m: error.message, c: String(error.cause) })).not.toMatch(/1234|4321/);
  });
});
