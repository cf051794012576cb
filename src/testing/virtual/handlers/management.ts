/**
 * Device management on the virtual device: sessions (Initialize, GetFeatures, EndSession,
 * LockDevice), Ping, Cancel, WipeDevice, LoadDevice, ApplySettings, ChangePin, GetEntropy and
 * SetBusy (wallet creation, backup and recovery: lifecycle.ts). Each follows the order of
 * checks, screens (ButtonRequest codes; on Core 2.8.9 also their names and pages, screens.ts)
 * and answers (Success texts, Failure codes) of the firmware the device plays — Trezor One
 * 1.14.1 (legacy/firmware/fsm_msg_common.h) or Core 2.4.1 / 2.8.9 (core/src/apps/management,
 * core/src/apps/base.py) — as recorded from the official emulators. These handlers reach into the device itself
 * (`ctx.device`), which coin handlers never need.
 */
import type { MessageMap } from '../../../messages/index.js';
import { mnemonicProblem } from '../bip39.js';
import { fail, type Reply } from '../context.js';
import type { CoreContext, CoreHandlerTable } from '../device.js';
import { AUTOLOCK_MAX_MS, AUTOLOCK_MIN_MS } from '../firmware.js';
import { namesScreens, screen } from '../screens.js';
import { lifecycleHandlers } from './lifecycle.js';
import { requestNewPin, requireInitialized, requireNotInitialized, success } from './shared.js';

const T1 = 'T1B1';




async function initialize(ctx: CoreContext, request: MessageMap['Initialize']): Promise<Reply> {
  const session = ctx.device.startSession(request.session_id);
  return { type: 'Features', message: ctx.device.features(session.id) };
}

async function getFeatures(ctx: CoreContext): Promise<Reply> {
  return { type: 'Features', message: ctx.device.features() };
}

async function ping(ctx: CoreContext, request: MessageMap['Ping']): Promise<Reply> {
  if (request.button_protection) await ctx.confirm('ButtonRequest_ProtectCall', { text: `Confirm\n${request.message ?? ''}`, ...screen(ctx, 'ping') });
  if (ctx.model === T1) return success(request.message);
  return success(request.message ?? '');
}

async function cancel(ctx: CoreContext): Promise<Reply> {
  throw ctx.device.failure('Failure_ActionCancelled');
}

async function lockDevice(ctx: CoreContext): Promise<Reply> {
  ctx.device.lock();
  return success(ctx.device.profile.lockText);
}

async function endSession(ctx: CoreContext): Promise<Reply> {
  ctx.device.endSession();
  return success(ctx.device.profile.endSessionText);
}

async function wipeDevice(ctx: CoreContext): Promise<Reply> {
  await ctx.confirm('ButtonRequest_WipeDevice', {
    text: 'Wipe device\nDo you really want to\nwipe the device?\nAll data will be lost.',
    ...screen(ctx, 'confirm_wipe', { Bolt: 1, Caesar: 2, Delizia: 2 }),
  });
  ctx.device.wipe();
  return success('Device wiped');
}

async function loadDevice(ctx: CoreContext, request: MessageMap['LoadDevice']): Promise<Reply> {
  requireNotInitialized(ctx);
  const mnemonics = request.mnemonics ?? [];
  if (mnemonics.length !== 1) {
    // SLIP-39 shares are not implemented here; the One accepts a single BIP-39 mnemonic only.
    fail(ctx.model === T1 ? 'Failure_DataError' : 'Failure_ProcessError', 'Only a single BIP-39 mnemonic can be loaded');
  }
  const mnemonic = mnemonics[0]!;
  const checksumOk = request.skip_checksum || mnemonicProblem(mnemonic) === undefined;
  if (ctx.model !== T1 && !checksumOk) fail('Failure_ProcessError', 'Mnemonic is not valid');
  await ctx.confirm(ctx.model === T1 ? 'ButtonRequest_ProtectCall' : 'ButtonRequest_Other', {
    text: 'Loading seed\nLoading private seed\nis not recommended.\nContinue only if you\nknow what you are doing!',
    ...screen(ctx, 'warn_loading_seed', { Bolt: 1, Caesar: 2, Delizia: 1 }),
  });
  if (!checksumOk) fail('Failure_DataError', 'Mnemonic with wrong checksum provided');
  ctx.device.load({
    mnemonic,
    pin: request.pin,
    passphraseProtection: request.passphrase_protection ?? false,
    label: request.label,
    needsBackup: request.needs_backup,
    noBackup: request.no_backup,
  });
  return success('Device loaded');
}


async function applySettings(ctx: CoreContext, request: MessageMap['ApplySettings']): Promise<Reply> {
  const device = ctx.device;
  const storage = device.storage;
  if (ctx.model === T1) {
    if (request.passphrase_always_on_device !== undefined) {
      fail('Failure_DataError', 'This firmware is incapable of passphrase entry on the device.');
    }
    const any =
      request.label !== undefined ||
      request.language !== undefined ||
      request.use_passphrase !== undefined ||
      request.homescreen !== undefined ||
      request.auto_lock_delay_ms !== undefined ||
      request.safety_checks !== undefined;
    if (!any) fail('Failure_DataError', 'No setting provided');
    await ctx.unlock();
    if (request.label !== undefined) await ctx.confirm('ButtonRequest_ProtectCall', { text: `Do you really want to\nchange name to\n${request.label}?` });
    if (request.language !== undefined) await ctx.confirm('ButtonRequest_ProtectCall', { text: `Do you really want to\nchange language to\n${request.language}?` });
    if (request.use_passphrase !== undefined) {
      await ctx.confirm('ButtonRequest_ProtectCall', {
        text: `Do you really want to\n${request.use_passphrase ? 'enable' : 'disable'} passphrase\nprotection?`,
      });
    }
    if (request.homescreen !== undefined) await ctx.confirm('ButtonRequest_ProtectCall', { text: 'Do you really want to\nchange the home\nscreen?' });
    let autoLock: number | undefined;
    if (request.auto_lock_delay_ms !== undefined) {
      autoLock = Math.min(Math.max(request.auto_lock_delay_ms, AUTOLOCK_MIN_MS), AUTOLOCK_MAX_MS);
      await ctx.confirm('ButtonRequest_ProtectCall', { text: `Do you really want to\nauto-lock your device\nafter ${Math.round(autoLock / 1000)} seconds?` });
    }
    if (request.safety_checks !== undefined) {
      // 1.14.1 (fsm_msg_common.h) offers Strict and PromptTemporarily only; PromptAlways is
      // refused before any screen.
      const level = safetyLevel(request.safety_checks);
      if (level === 'PromptAlways') fail('Failure_ProcessError', 'Unsupported safety-checks setting');
      await ctx.confirm('ButtonRequest_ProtectCall', { text: `Do you really want to\nset safety checks to\n${String(request.safety_checks)}?` });
    }
    if (request.label !== undefined) storage.label = request.label;
    if (request.use_passphrase !== undefined) {
      storage.passphraseProtection = request.use_passphrase;
      storage.passphraseStored = true;
    }
    if (request.homescreen !== undefined) storage.homescreen = request.homescreen;
    if (autoLock !== undefined) {
      storage.autoLockDelayMs = autoLock;
      device.armAutoLock();
    }
    if (request.safety_checks !== undefined) storage.safetyChecks = safetyLevel(request.safety_checks);
    return success('Settings applied');
  }

  requireInitialized(ctx);
  const any =
    request.homescreen !== undefined ||
    request.label !== undefined ||
    request.use_passphrase !== undefined ||
    request.passphrase_always_on_device !== undefined ||
    request.display_rotation !== undefined ||
    request.auto_lock_delay_ms !== undefined ||
    request.safety_checks !== undefined ||
    request.experimental_features !== undefined ||
    (namesScreens(ctx.layout) && request.hide_passphrase_from_host !== undefined);
  if (!any) fail('Failure_ProcessError', 'No setting provided');
  if (request.homescreen !== undefined) {
    // 2.8.9's name is spelt so (core/src/trezor/ui/layouts/*/__init__.py confirm_homescreen).
    await ctx.confirm('ButtonRequest_ProtectCall', { text: 'Set homescreen\nDo you really want to\nchange the homescreen?', ...screen(ctx, 'set_homesreen') });
    storage.homescreen = request.homescreen;
  }
  if (request.label !== undefined) {
    if (request.label.length > 32) fail('Failure_DataError', 'Label too long');
    await ctx.confirm('ButtonRequest_ProtectCall', {
      text: `Change label\nDo you really want to\nchange the label to\n${request.label}?`,
      ...screen(ctx, 'set_label', { Bolt: 1, Caesar: 1, Delizia: 2 }),
    });
    storage.label = request.label;
  }
  if (request.use_passphrase !== undefined) {
    await ctx.confirm('ButtonRequest_ProtectCall', {
      text: `Enable passphrase\nDo you really want to\n${request.use_passphrase ? 'enable' : 'disable'} passphrase\nencryption?`,
      ...screen(ctx, 'set_passphrase'),
    });
    storage.passphraseProtection = request.use_passphrase;
  }
  if (request.passphrase_always_on_device !== undefined) {
    if (!storage.passphraseProtection) fail('Failure_DataError', 'Passphrase is not enabled');
    await ctx.confirm('ButtonRequest_ProtectCall', {
      text: 'Passphrase source\nDo you really want to\nenter passphrase always\non the device?',
      ...screen(ctx, 'set_passphrase_source'),
    });
    storage.passphraseAlwaysOnDevice = request.passphrase_always_on_device;
  }
  if (request.auto_lock_delay_ms !== undefined) {
    if (request.auto_lock_delay_ms < AUTOLOCK_MIN_MS) fail('Failure_ProcessError', 'Auto-lock delay too short');
    if (request.auto_lock_delay_ms > AUTOLOCK_MAX_MS) fail('Failure_ProcessError', 'Auto-lock delay too long');
    await ctx.confirm('ButtonRequest_ProtectCall', {
      text: 'Auto-lock delay\nDo you really want to\nauto-lock your device\nafter this delay?',
      ...screen(ctx, 'set_autolock_delay'),
    });
    storage.autoLockDelayMs = request.auto_lock_delay_ms;
    device.armAutoLock();
  }
  // 2.8.9 asks for the safety checks before the rotation (core apply_settings.py).
  const current = namesScreens(ctx.layout);
  if (current) await safetyChecks(ctx, request);
  if (request.display_rotation !== undefined) {
    await ctx.confirm('ButtonRequest_ProtectCall', { text: 'Change rotation\nDo you really want to\nchange display rotation?', ...screen(ctx, 'set_rotation') });
    storage.displayRotation = typeof request.display_rotation === 'number' ? request.display_rotation : 0;
  }
  if (!current) await safetyChecks(ctx, request);
  if (request.experimental_features !== undefined) {
    await ctx.confirm('ButtonRequest_ProtectCall', { text: 'Experimental mode\nEnable experimental\nfeatures?', ...screen(ctx, 'set_experimental_features') });
    storage.experimentalFeatures = request.experimental_features;
  }
  if (current && request.hide_passphrase_from_host !== undefined) {
    if (storage.safetyChecks === 'Strict') fail('Failure_ProcessError', 'Safety checks are strict');
    if (request.hide_passphrase_from_host) {
      await ctx.confirm('ButtonRequest_ProtectCall', { text: 'Hide passphrase\nHide passphrase coming\nfrom the host?', ...screen(ctx, 'set_hide_passphrase_from_host') });
    }
    storage.hidePassphraseFromHost = request.hide_passphrase_from_host;
  }
  return success('Settings applied');
}

async function safetyChecks(ctx: CoreContext, request: MessageMap['ApplySettings']): Promise<void> {
  if (request.safety_checks === undefined) return;
  await ctx.confirm('ButtonRequest_ProtectCall', {
    text: `Safety checks\nDo you really want to\nset safety checks to\n${String(request.safety_checks)}?`,
    ...screen(ctx, 'set_safety_checks', { Bolt: 1, Caesar: 2, Delizia: 2 }),
  });
  ctx.device.storage.safetyChecks = safetyLevel(request.safety_checks);
}

function safetyLevel(value: MessageMap['ApplySettings']['safety_checks']): 'Strict' | 'PromptAlways' | 'PromptTemporarily' {
  if (value === 'PromptAlways' || value === 1) return 'PromptAlways';
  if (value === 'PromptTemporarily' || value === 2) return 'PromptTemporarily';
  if (value === 'Strict' || value === 0) return 'Strict';
  fail('Failure_DataError', 'Unsupported safety-checks setting');
}

async function changePin(ctx: CoreContext, request: MessageMap['ChangePin']): Promise<Reply> {
  const device = ctx.device;
  requireInitialized(ctx);
  const removal = request.remove ?? false;
  const hasPin = device.storage.pin !== undefined;
  if (ctx.model === T1) {
    if (removal && !hasPin) return success('PIN removed');
    const what = removal ? 'remove current PIN?' : hasPin ? 'change current PIN?' : 'set new PIN?';
    await ctx.confirm('ButtonRequest_ProtectCall', { text: `Do you really want to\n${what}` });
    let current = '';
    if (hasPin) {
      current = await device.requestPin('PinMatrixRequestType_Current');
      if (!removal && !(await device.checkPin(current))) throw device.failure('Failure_PinInvalid');
    }
    const next = removal ? undefined : await requestNewPin(ctx);
    if (removal && !(await device.checkPin(current))) throw device.failure('Failure_PinInvalid');
    device.storage.pin = next;
    device.armAutoLock();
    return success(removal ? 'PIN removed' : 'PIN changed');
  }
  const text = removal
    ? 'Remove PIN\nDo you really want to\ndisable PIN protection?'
    : hasPin
      ? 'Change PIN\nDo you really want to\nchange your PIN?'
      : 'Enable PIN\nDo you really want to\nenable PIN protection?';
  await ctx.confirm('ButtonRequest_Other', { text, ...screen(ctx, removal ? 'disable_pin' : hasPin ? 'change_pin' : 'set_pin') });
  let current = '';
  if (hasPin) {
    current = await device.requestPin('PinMatrixRequestType_Current');
    if (!removal && !(await device.checkPin(current))) throw device.failure('Failure_PinInvalid');
  }
  const next = removal ? undefined : await requestNewPin(ctx);
  if (removal && hasPin && !(await device.checkPin(current))) throw device.failure('Failure_PinInvalid');
  device.storage.pin = next;
  device.armAutoLock();
  const [shown, wire] = next
    ? hasPin
      ? ['You have successfully\nchanged your PIN.', 'PIN changed']
      : ['You have successfully\nenabled PIN protection.', 'PIN enabled']
    : ['You have successfully\ndisabled PIN protection.', 'PIN removed'];
  await ctx.confirm('ButtonRequest_Success', { text: `Success\n${shown}`, ...screen(ctx, 'success_pin') });
  return success(wire);
}

async function getEntropy(ctx: CoreContext, request: MessageMap['GetEntropy']): Promise<Reply> {
  await ctx.confirm('ButtonRequest_ProtectCall', { text: 'Do you really want to\nsend entropy?', ...screen(ctx, 'get_entropy') });
  const size = Math.min(request.size, 1024);
  return { type: 'Entropy', message: { entropy: ctx.device.random.bytes(size) } };
}

async function setBusy(ctx: CoreContext, request: MessageMap['SetBusy']): Promise<Reply> {
  // Core 2.4.1 did not know SetBusy; 2.8.9 wants an initialized device (core/src/apps/base.py).
  if (ctx.model !== T1 && !namesScreens(ctx.layout)) fail('Failure_UnexpectedMessage', 'Unexpected message');
  if (ctx.model !== T1) requireInitialized(ctx);
  const device = ctx.device;
  device.busyUntil = request.expiry_ms ? device.clock.now() + request.expiry_ms : 0;
  return success(ctx.model === T1 ? undefined : '');
}

export const managementHandlers: CoreHandlerTable = {
  Initialize: initialize,
  GetFeatures: getFeatures,
  Ping: ping,
  Cancel: cancel,
  LockDevice: lockDevice,
  EndSession: endSession,
  WipeDevice: wipeDevice,
  LoadDevice: loadDevice,
  ...lifecycleHandlers,
  ApplySettings: applySettings,
  ChangePin: changePin,
  GetEntropy: getEntropy,
  SetBusy: setBusy,
};
