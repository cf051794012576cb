/**
 * The trezor-direct example page. Plain TypeScript and DOM, no framework, meant to be read:
 * each section below is one thing a dapp does with a Trezor.
 *
 *  1. the UI callbacks the session needs (PIN matrix, passphrase, "confirm on your Trezor")
 *  2. connecting: WebUSB, WebHID (old Trezor One firmware) or a virtual Trezor in the page; where
 *     the browser has neither USB API, Trezor Connect instead (the coin panels only)
 *  3. the device panel: features, lock, unplug and reconnect
 *  4. Bitcoin: account xpubs and addresses, message signing, PSBT build + sign
 *  5. Ethereum: address, EIP-191 message, EIP-712 typed data, EIP-1559 transaction
 *  6. "Set up a Trezor": wipe, create, back up, recover, PIN, label (in setup.ts)
 *  7. Log in with Trezor: SignIdentity on a challenge from this page's server
 *
 * In your own app the imports read `from 'trezor-direct'`, `'trezor-direct/bitcoin'`, …; this
 * page imports the sources of the checkout it is served from.
 *
 * Secrets: the PIN never exists here (the page only sees matrix positions), the passphrase
 * and the mnemonic of the virtual device go straight into the library, and nothing is logged.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { base64, hex } from '@scure/base';
import {
  connect,
  formatPath,
  isTrezorError,
  modelOf,
  parsePath,
  TrezorError,
  webHid,
  webUsb,
  type ButtonRequestInfo,
  type PassphraseAnswer,
  type PassphraseRequest,
  type PinRequest,
  type Transport,
  type Trezor,
  type UiHandlers,
} from '../../src/index.js';
import * as bitcoin from '../../src/bitcoin/index.js';
import * as ethereum from '../../src/ethereum/index.js';
import { askWord, installSetupPanel, virtualScreen } from './setup.js';
import { login, type LoginResponse } from '../../src/identity/index.js';
import { fromTrezorConnect, type TrezorConnectAdapter, type TrezorConnectLike } from '../../src/connect-web/index.js';
// The virtual device is loaded only when someone asks for it (see startVirtual below).
import type { VirtualTrezor } from '../../src/testing/index.js';

// ---------------------------------------------------------------------------------------------
// Small DOM helpers
// ---------------------------------------------------------------------------------------------

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}
const input = (id: string) => $<HTMLInputElement>(id);
const value = (id: string) => $<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(id).value.trim();
const setText = (id: string, text: string) => void ($(id).textContent = text);
const show = (id: string, visible = true) => void ($(id).hidden = !visible);
const yesNo = (flag: boolean | undefined) => (flag === undefined ? '—' : flag ? 'yes' : 'no');

/** Run `action` when `id` is clicked; see {@link run}. */
function onClick(id: string, action: (signal: AbortSignal) => Promise<void>): void {
  const button = $<HTMLButtonElement>(id);
  button.addEventListener('click', () => void run(button, action));
}

// ---------------------------------------------------------------------------------------------
// Errors: every failure shows its `code` (what programs branch on) and its message.
// ---------------------------------------------------------------------------------------------

function showError(error: unknown): void {
  const code = isTrezorError(error) ? error.code : error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  setText('error-code', code);
  $('error-code').dataset.code = code;
  setText('error-message', message);
  show('error');
}

function clearError(): void {
  show('error', false);
  setText('error-code', '');
  delete $('error-code').dataset.code;
}

$('error-dismiss').addEventListener('click', clearError);

// ---------------------------------------------------------------------------------------------
// Running device calls: one AbortController per click, so "Cancel" can stop what is running.
// ---------------------------------------------------------------------------------------------

const running = new Set<AbortController>();

async function run(button: HTMLButtonElement | undefined, action: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  running.add(controller);
  clearError();
  if (button) button.disabled = true;
  document.body.dataset.busy = 'true';
  try {
    await action(controller.signal);
  } catch (error) {
    showError(error);
  } finally {
    running.delete(controller);
    if (button) button.disabled = false;
    if (running.size === 0) {
      delete document.body.dataset.busy;
      hideConfirmBanner();
    }
  }
}

/** The banner's Cancel: aborting the signal makes the library send Cancel to the device. */
$('confirm-cancel').addEventListener('click', () => {
  for (const controller of running) controller.abort();
});

// ---------------------------------------------------------------------------------------------
// 1. UI callbacks for the session
// ---------------------------------------------------------------------------------------------

/** Friendly text for ButtonRequest codes ('ButtonRequest_ConfirmOutput' → 'confirm output'). */
function describeButton({ code, name }: ButtonRequestInfo): string {
  const raw = name || code?.replace(/^ButtonRequest_/, '') || '';
  return raw.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
}

/** Screens of the Core models where the user types on the device. */
const TYPED_ON_DEVICE = new Set(['ButtonRequest_MnemonicWordCount', 'ButtonRequest_MnemonicInput', 'ButtonRequest_PinEntry']);

function showConfirmBanner(info: ButtonRequestInfo): void {
  setText('confirm-detail', describeButton(info));
  const manualVirtual = session?.source.kind === 'virtual' && !session.source.autoConfirm;
  show('virtual-press-yes', manualVirtual);
  show('virtual-press-no', manualVirtual);
  // The Model T and later take words, the word count and PINs on their touch screen: the
  // virtual one gets them typed here.
  show('virtual-type', virtualDevice() !== undefined && TYPED_ON_DEVICE.has(info.code ?? ''));
  show('confirm-banner');
  // What the virtual device's screen shows (the words of a new wallet, for one).
  void virtualScreen(virtualDevice()).then(
    (lines) => setText('confirm-virtual-screen', lines?.join('\n') ?? ''),
    () => undefined,
  );
}

function hideConfirmBanner(): void {
  show('confirm-banner', false);
}

/**
 * Trezor One PIN: the device shows the digits 1–9 scrambled on its screen; the user clicks the
 * same positions on a blank 3×3 grid laid out like a keypad (7 8 9 / 4 5 6 / 1 2 3). The
 * library sends those positions (PinMatrixAck), so the PIN itself never reaches the page.
 */
async function askPin({ type, signal }: PinRequest): Promise<string> {
  const dialog = $<HTMLDialogElement>('pin-dialog');
  const entered = input('pin-entered');
  const titles: Record<PinRequest['type'], string> = {
    current: 'Enter your PIN',
    newFirst: 'Choose a new PIN',
    newSecond: 'Enter the new PIN again',
    wipeCodeFirst: 'Choose a wipe code',
    wipeCodeSecond: 'Enter the wipe code again',
  };
  setText('pin-title', titles[type]);
  entered.value = '';
  await showVirtualMatrix();

  return new Promise<string>((resolve, reject) => {
    const positions: string[] = [];
    const update = () => (entered.value = '•'.repeat(positions.length));
    const press = (position: string) => {
      if (positions.length < 50) positions.push(position);
      update();
    };
    const onGrid = (event: Event) => {
      const position = (event.target as HTMLElement).closest<HTMLElement>('[data-pin-position]')?.dataset.pinPosition;
      if (position) press(position);
    };
    const onBackspace = () => {
      positions.pop();
      update();
    };
    // Number keys work too: the numeric keypad has the same layout as the grid.
    const onKey = (event: KeyboardEvent) => {
      if (/^[1-9]$/.test(event.key)) press(event.key);
      else if (event.key === 'Backspace') onBackspace();
      else return;
      event.preventDefault();
    };
    let settled = false;
    const finish = (result: string | undefined) => {
      if (settled) return;
      settled = true;
      $('pin-grid').removeEventListener('click', onGrid);
      $('pin-backspace').removeEventListener('click', onBackspace);
      $('pin-cancel').removeEventListener('click', onCancel);
      $('pin-form').removeEventListener('submit', onSubmit);
      dialog.removeEventListener('keydown', onKey);
      dialog.removeEventListener('cancel', onCancel);
      signal.removeEventListener('abort', onAbort);
      positions.length = 0;
      entered.value = '';
      dialog.close();
      if (result === undefined) reject(new TrezorError('PinCancelled', 'PIN entry cancelled'));
      else resolve(result);
    };
    const onSubmit = (event: Event) => {
      event.preventDefault();
      if (positions.length > 0) finish(positions.join(''));
    };
    const onCancel = (event?: Event) => {
      event?.preventDefault();
      finish(undefined);
    };
    // The call ended some other way (banner Cancel, unplug): close the dialog.
    const onAbort = () => finish(undefined);
    $('pin-grid').addEventListener('click', onGrid);
    $('pin-backspace').addEventListener('click', onBackspace);
    $('pin-cancel').addEventListener('click', onCancel);
    $('pin-form').addEventListener('submit', onSubmit);
    dialog.addEventListener('keydown', onKey);
    dialog.addEventListener('cancel', onCancel); // Escape
    signal.addEventListener('abort', onAbort, { once: true });
    // Cancelled while the virtual device's screen was being read: never open the dialog.
    if (signal.aborted) return onAbort();
    dialog.showModal();
    $('pin-7').focus();
  });
}

/** The passphrase, or "enter it on the device" where the model has a keyboard (Model T). */
async function askPassphrase({ onDeviceAvailable, signal }: PassphraseRequest): Promise<PassphraseAnswer> {
  const dialog = $<HTMLDialogElement>('passphrase-dialog');
  const field = input('passphrase-input');
  field.value = '';
  show('passphrase-on-device', onDeviceAvailable);

  return new Promise<PassphraseAnswer>((resolve, reject) => {
    let settled = false;
    const finish = (answer: PassphraseAnswer | undefined) => {
      if (settled) return;
      settled = true;
      $('passphrase-form').removeEventListener('submit', onSubmit);
      $('passphrase-on-device').removeEventListener('click', onDevice);
      $('passphrase-cancel').removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      signal.removeEventListener('abort', onAbort);
      field.value = '';
      dialog.close();
      if (answer === undefined) reject(new TrezorError('PassphraseCancelled', 'Passphrase entry cancelled'));
      else resolve(answer);
    };
    const onSubmit = (event: Event) => {
      event.preventDefault();
      finish({ passphrase: field.value });
    };
    const onDevice = () => finish({ onDevice: true });
    const onCancel = (event?: Event) => {
      event?.preventDefault();
      finish(undefined);
    };
    const onAbort = () => finish(undefined);
    $('passphrase-form').addEventListener('submit', onSubmit);
    $('passphrase-on-device').addEventListener('click', onDevice);
    $('passphrase-cancel').addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) return onAbort();
    dialog.showModal();
    field.focus();
  });
}

const ui: UiHandlers = {
  pin: askPin,
  passphrase: askPassphrase,
  button: showConfirmBanner,
  word: askWord(() => virtualDevice()),
};

// ---------------------------------------------------------------------------------------------
// 2. Connecting
// ---------------------------------------------------------------------------------------------

type Source =
  | { kind: 'usb' }
  | { kind: 'hid' }
  | { kind: 'virtual'; device: VirtualTrezor; autoConfirm: boolean };

interface Session {
  trezor: Trezor;
  source: Source;
  transport: Transport;
}

let session: Session | undefined;
/** The virtual device, when that is what is connected. */
const virtualDevice = () => (session?.source.kind === 'virtual' ? session.source.device : undefined);
/** What to reconnect to after an unplug. */
let lastSource: Source | undefined;

const LAST_SOURCE_KEY = 'trezor-direct-example:last-source';

function transportFor(source: Source): Transport {
  if (source.kind === 'usb') return webUsb();
  if (source.kind === 'hid') return webHid();
  return source.device.transport();
}

/**
 * Open a device and show it. `connect()` lists already-paired devices first (getDevices), so
 * after the first visit no chooser appears; otherwise it opens the browser's chooser, which is
 * why the USB buttons call this straight from their click handlers.
 */
async function connectTo(source: Source, signal: AbortSignal): Promise<void> {
  await disconnect();
  viaConnect = undefined;
  const transport = transportFor(source);
  const trezor = await connect({ transport, ui, signal });
  session = { trezor, source, transport };
  // A virtual device that was replaced lives only in this page: stop it.
  if (lastSource?.kind === 'virtual' && lastSource !== source) void lastSource.device.close().catch(() => undefined);
  lastSource = source;
  if (source.kind !== 'virtual') localStorage.setItem(LAST_SOURCE_KEY, source.kind);
  trezor.on('disconnect', onUnplugged);
  renderDevice();
  show('disconnected', false);
  for (const id of ['device-panel', 'setup-panel', 'bitcoin-panel', 'ethereum-panel', 'login-panel']) show(id);
  $<HTMLDetailsElement>('virtual-options').open = false;
}

async function disconnect(): Promise<void> {
  const current = session;
  session = undefined;
  await current?.trezor.close().catch(() => undefined);
}

function onUnplugged(): void {
  session = undefined;
  setText('device-unlocked', '—');
  show('disconnected');
}

/** Start a VirtualTrezor from the form. The module is fetched on first use. */
async function startVirtual(): Promise<Source> {
  const { VirtualTrezor } = await import('../../src/testing/index.js');
  const pin = value('virtual-pin');
  if (pin && !/^[0-9]{1,50}$/.test(pin)) {
    throw new TrezorError('InvalidParameters', 'virtual PIN: digits only, up to 50', { field: 'pin' });
  }
  // 'T3T1' plays its model's default firmware; 'T2T1@2.8.9' claims a version.
  const [model, firmware] = value('virtual-model').split('@') as ['T1B1' | 'T2T1' | 'T2B1' | 'T3T1', string | undefined];
  // The Trezor One's matrix shows the digits 1-9: a PIN with a 0 could never be entered.
  if (pin && model === 'T1B1' && pin.includes('0')) {
    throw new TrezorError('InvalidParameters', 'virtual PIN: a Trezor One PIN uses the digits 1-9', { field: 'pin' });
  }
  const autoConfirm = input('virtual-autoconfirm').checked;
  const device = new VirtualTrezor({
    mnemonic: value('virtual-mnemonic').split(/\s+/).join(' '),
    model,
    ...(firmware ? { firmware } : {}),
    passphraseProtection: input('virtual-passphrase').checked,
    label: 'Virtual Trezor',
    autoConfirm,
    ...(pin ? { pin } : {}),
  });
  // This page presses for its user (the dialog's buttons go through the debug link): say so
  // now, or the device would warn on the console that nothing can press.
  if (!autoConfirm) device.debugLink();
  return { kind: 'virtual', device, autoConfirm };
}

onClick('connect-usb', (signal) => connectTo({ kind: 'usb' }, signal));
onClick('connect-hid', (signal) => connectTo({ kind: 'hid' }, signal));
onClick('connect-virtual', async (signal) => {
  await connectTo(await startVirtual(), signal);
  // A freshly loaded virtual device starts unlocked; a real Trezor comes out of the box
  // locked, so lock it to show the PIN prompt on the first call that needs the seed.
  if (session?.trezor.features.pin_protection) {
    await session.trezor.lock({ signal });
    await session.trezor.getFeatures({ signal });
    renderDevice();
  }
});
onClick('reconnect', async (signal) => {
  if (!lastSource) throw new TrezorError('DeviceDisconnected', 'Nothing to reconnect to: connect a Trezor first');
  await connectTo(lastSource, signal);
});

// ---------------------------------------------------------------------------------------------
// 2b. Trezor Connect: the fallback for browsers with neither WebUSB nor WebHID (Firefox, Safari)
// ---------------------------------------------------------------------------------------------

/**
 * The Bitcoin and Ethereum calls the coin panels make, chosen at connect time: the direct
 * functions on the connected Trezor, or the same functions through Trezor Connect
 * (`fromTrezorConnect`: same parameters, same results, same checks on what comes back).
 */
let viaConnect: TrezorConnectAdapter | undefined;

function coins(): TrezorConnectAdapter {
  if (viaConnect) return viaConnect;
  const trezor = requireTrezor();
  return {
    bitcoin: {
      getAddress: (p) => bitcoin.getAddress(trezor, p),
      getPublicKey: (p) => bitcoin.getPublicKey(trezor, p),
      signPsbt: (psbt, options) => bitcoin.signPsbt(trezor, psbt, options),
      signMessage: (p) => bitcoin.signMessage(trezor, p),
    },
    ethereum: {
      getAddress: (p) => ethereum.getAddress(trezor, p),
      signTransaction: (p) => ethereum.signTransaction(trezor, p),
      signMessage: (p) => ethereum.signMessage(trezor, p),
      signTypedData: (p) => ethereum.signTypedData(trezor, p),
    },
  };
}

type TrezorConnectObject = TrezorConnectLike & { init(settings: object): Promise<unknown> };

/**
 * Where the page's build puts this checkout's installed @trezor/connect-web (scripts/start.ts
 * bundles it there only when it is installed). Loaded on the click, never before.
 */
const TREZOR_CONNECT_MODULE = new URL('vendor/trezor-connect-web.js', import.meta.url).href;

/** `TrezorConnect`, or undefined when this build has no Connect (not installed). */
async function loadTrezorConnect(): Promise<TrezorConnectObject | undefined> {
  // Test only (with ?test in the URL): the browser tests put a stand-in here (see the end of this file).
  if (testStandIn) return testStandIn;
  let module: { default?: { default?: unknown } };
  try {
    module = (await import(/* the build's own file, not a bare name */ TREZOR_CONNECT_MODULE)) as typeof module;
  } catch {
    return undefined;
  }
  // CommonJS turned into a module: `default` is its exports object, whose `default` is TrezorConnect.
  return (module.default?.default ?? module.default) as TrezorConnectObject;
}

onClick('connect-trezor-connect', async () => {
  const TrezorConnect = await loadTrezorConnect();
  show('connect-install', !TrezorConnect);
  if (!TrezorConnect) return;
  // As Connect documents it: a manifest saying who is asking, and lazyLoad so its iframe is
  // only created by the first call.
  await TrezorConnect.init({ manifest: { appName: 'trezor-direct example', email: 'developer@example.com', appUrl: location.origin }, lazyLoad: true });
  await disconnect();
  viaConnect = fromTrezorConnect(TrezorConnect);
  // Connect shows PIN, passphrase and confirmations in its own popup; the device, setup and
  // login panels need the direct connection.
  for (const id of ['bitcoin-panel', 'ethereum-panel']) show(id);
  for (const id of ['device-panel', 'setup-panel', 'login-panel']) show(id, false);
  setText('usb-support', 'Using Trezor Connect: its popup (from connect.trezor.io) asks for the device.');
});

/** The virtual device's screen, for its PIN matrix: a real Trezor shows this on its display. */
async function showVirtualMatrix(): Promise<void> {
  const virtual = session?.source.kind === 'virtual' ? session.source.device : lastSource?.kind === 'virtual' ? lastSource.device : undefined;
  show('pin-virtual-screen', false);
  if (!virtual) return;
  const { matrix } = await virtual.debugLink().getState();
  if (!matrix) return;
  const grid = $('pin-virtual-matrix');
  grid.replaceChildren(
    ...[7, 8, 9, 4, 5, 6, 1, 2, 3].map((position) => {
      const cell = document.createElement('span');
      cell.textContent = matrix[position - 1] ?? '?';
      return cell;
    }),
  );
  show('pin-virtual-screen');
}

/** "Press yes/no on the virtual device" when auto-confirm is off: the debug link presses. */
async function pressVirtual(button: 'yes' | 'no'): Promise<void> {
  const source = session?.source;
  if (source?.kind !== 'virtual') return;
  // The device moves on: its next request (if any) shows the banner again.
  hideConfirmBanner();
  await source.device.debugLink().press(button);
}
$('virtual-press-yes').addEventListener('click', () => void pressVirtual('yes').catch(showError));
$('virtual-type-send').addEventListener('click', () => {
  const field = input('virtual-type-text');
  const text = field.value.trim();
  field.value = '';
  if (text) void virtualDevice()?.debugLink().input(text).catch(showError);
});
input('virtual-type-text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter') $('virtual-type-send').click();
});
$('virtual-press-no').addEventListener('click', () => void pressVirtual('no').catch(showError));

// ---------------------------------------------------------------------------------------------
// 3. Device panel
// ---------------------------------------------------------------------------------------------

function requireTrezor(): Trezor {
  if (!session) throw new TrezorError('DeviceDisconnected', 'No Trezor connected: connect one first');
  return session.trezor;
}

/**
 * The product name and internal model (T1B1, T2T1, T2B1, T3T1 …) from the library's model
 * table, which reads Features.internal_model and falls back to Features.model on firmware that
 * predates it.
 */
function modelName(features: Trezor['features']): string {
  const known = modelOf(features);
  return known ? `${known.name} (${known.internalModel})` : `Trezor ${features.model ?? '?'}`;
}

function renderDevice(): void {
  if (!session) return;
  const f = session.trezor.features;
  setText('device-model', modelName(f));
  setText('device-firmware', `${f.major_version}.${f.minor_version}.${f.patch_version}${f.bootloader_mode ? ' (bootloader)' : ''}`);
  setText('device-label', f.label || '—');
  setText('device-initialized', yesNo(f.initialized));
  setText('device-pin', yesNo(f.pin_protection));
  setText('device-passphrase', yesNo(f.passphrase_protection));
  setText('device-unlocked', yesNo(f.unlocked));
  setText('device-backup', !f.initialized ? '—' : f.no_backup ? 'none (created without one)' : f.backup_availability === 'Required' ? 'needed' : 'done');
  const where = session.source.kind === 'virtual' ? 'virtual device in this page' : session.transport.name;
  setText('device-transport', `${where}${session.trezor.device.product ? ` — ${session.trezor.device.product}` : ''}`);
}

onClick('device-refresh', async (signal) => {
  await requireTrezor().getFeatures({ signal });
  renderDevice();
});
onClick('device-lock', async (signal) => {
  const trezor = requireTrezor();
  await trezor.lock({ signal });
  await trezor.getFeatures({ signal });
  renderDevice();
});
onClick('device-disconnect', async () => {
  await disconnect();
  for (const id of ['device-panel', 'setup-panel', 'bitcoin-panel', 'ethereum-panel', 'login-panel', 'disconnected']) show(id, false);
});

// ---------------------------------------------------------------------------------------------
// 4. Bitcoin
// ---------------------------------------------------------------------------------------------

const SCRIPT_TYPES = [
  { scriptType: 'p2pkh', purpose: 44, label: 'Legacy (P2PKH)' },
  { scriptType: 'p2sh-p2wpkh', purpose: 49, label: 'Nested SegWit (P2SH-P2WPKH)' },
  { scriptType: 'p2wpkh', purpose: 84, label: 'Native SegWit (P2WPKH)' },
  { scriptType: 'p2tr', purpose: 86, label: 'Taproot (P2TR)' },
] as const;

/** SLIP-44 coin type of the selected network (all test networks share 1). */
const btcCoinType = (coin: string) => (coin === 'Bitcoin' ? 0 : 1);

function code(text: string, className?: string): HTMLElement {
  const element = document.createElement('code');
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

onClick('btc-load', async (signal) => {
  const { bitcoin: calls } = coins();
  const coin = bitcoin.getCoin(value('btc-coin')).name;
  const account = Number(value('btc-account'));
  if (!Number.isInteger(account) || account < 0) throw new TrezorError('InvalidParameters', 'account: a whole number ≥ 0', { field: 'account' });
  const body = $('btc-accounts').querySelector('tbody')!;
  body.replaceChildren();
  for (const { scriptType, purpose, label } of SCRIPT_TYPES) {
    const row = body.insertRow();
    row.dataset.scriptType = scriptType;
    row.insertCell().textContent = label;
    const accountCell = row.insertCell();
    const addressCell = row.insertCell();
    const accountPath = `m/${purpose}'/${btcCoinType(coin)}'/${account}'`;
    try {
      const { xpub } = await calls.getPublicKey({ path: accountPath, coin, signal });
      const xpubCode = code(xpub, 'xpub');
      xpubCode.dataset.path = accountPath;
      accountCell.append(code(accountPath), xpubCode);
      const list = document.createElement('ol');
      list.start = 0;
      for (let index = 0; index < 3; index++) {
        const path = `${accountPath}/0/${index}`;
        const address = await calls.getAddress({ path, coin, signal });
        const item = document.createElement('li');
        const showButton = document.createElement('button');
        showButton.type = 'button';
        showButton.textContent = 'Show on device';
        showButton.dataset.path = path;
        // The device displays the address and the user compares: the only way to be sure an
        // address is really the device's own.
        showButton.addEventListener('click', () => void run(showButton, (s) => calls.getAddress({ path, coin, show: true, signal: s }).then(() => undefined)));
        const addressCode = code(address);
        addressCode.dataset.path = path;
        item.append(addressCode, ' ', showButton);
        list.append(item);
      }
      addressCell.append(list);
    } catch (error) {
      if (signal.aborted) throw error;
      // One script type the firmware lacks must not hide the others.
      const failure = isTrezorError(error) ? `${error.code}: ${error.message}` : String(error);
      addressCell.append(code(failure, 'failure'));
    }
  }
});

onClick('btc-msg-sign', async (signal) => {
  const coin = bitcoin.getCoin(value('btc-coin')).name;
  const message = $<HTMLTextAreaElement>('btc-msg-text').value;
  const { address, signature } = await coins().bitcoin.signMessage({ path: value('btc-msg-path'), message, coin, signal });
  setText('btc-msg-address', address);
  setText('btc-msg-signature', signature);
  // Checked here again, with no device: anyone can verify a signed message.
  setText('btc-msg-verified', bitcoin.verifyMessage({ address, message, signature, coin }) ? 'yes' : 'NO');
  show('btc-msg-result');
});

/**
 * A spend from the firmware's own device tests (test_signtx_segwit_native.py, testnet): one
 * SLIP-14 UTXO with its previous transaction, so the example works on the virtual device.
 */
const TESTNET_EXAMPLE = {
  utxos: [
    {
      txid: 'b36780ceb86807ca6e7535a6fd418b1b788cb9b227d2c8a26a0de295e523219e',
      vout: 0,
      amount: 100000,
      path: "m/84'/1'/0'/0/87",
      prevTx:
        '0100000001e5af569cb6720e4a0c86b1b58de522cf4615e5045992388e84f8eae0022d8e33010000006a47304402202b09991327f3734d1a50ff8ce1df2f57d19c97009a65f24a26828ce717f8df6302205d653b0f704cd8162e467b6c465496d2b94d04eeeb51d34ad4679bbf01b8a4a0012103685ff9491738f67ae75d0a0c2b9f8527df44d9add4fa23bd5f3cdb66b8a36876fdffffff02a086010000000000160014ec871ec494e095efd8c3dcfd8b1fe1529a822d9dba5d1000000000001976a914c6f2998ea98ce79b750288124ec2b381a8f1745688ac00000000',
    },
  ],
  recipient: '2N4Q5FhU2497BryFfUgbqkAJE87aKHUhXMp',
  amount: '40000',
  feeRate: '2',
  change: "m/84'/1'/0'/1/0",
};

$('btc-example').addEventListener('click', () => {
  $<HTMLSelectElement>('btc-coin').value = 'Testnet';
  $<HTMLTextAreaElement>('btc-utxos').value = JSON.stringify(TESTNET_EXAMPLE.utxos, null, 2);
  input('btc-recipient').value = TESTNET_EXAMPLE.recipient;
  input('btc-amount').value = TESTNET_EXAMPLE.amount;
  input('btc-feerate').value = TESTNET_EXAMPLE.feeRate;
  input('btc-change').value = TESTNET_EXAMPLE.change;
});

/** The PSBT built by "Build PSBT", waiting to be signed. */
let unsignedPsbt: Uint8Array | undefined;

function parseUtxos(text: string): bitcoin.Utxo[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TrezorError('InvalidParameters', `utxos: not valid JSON (${(error as Error).message})`, { field: 'utxos' });
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new TrezorError('InvalidParameters', 'utxos: expected a non-empty JSON array', { field: 'utxos' });
  // createPsbt checks each field (and that prevTx really pays `amount` to the key at `path`).
  return parsed as bitcoin.Utxo[];
}

/** m/84'/1'/0'/0/87 → m/84'/1'/0' (BIP-44 style account level). */
const accountPathOf = (path: string) => formatPath(parsePath(path).slice(0, 3));

onClick('btc-build', async (signal) => {
  const { bitcoin: calls } = coins();
  const coin = bitcoin.getCoin(value('btc-coin')).name;
  const amount = value('btc-amount');
  if (!/^[0-9]+$/.test(amount)) throw new TrezorError('InvalidParameters', 'amount: satoshis, a whole number', { field: 'amount' });
  const utxos = parseUtxos(value('btc-utxos'));
  const change = value('btc-change');
  // The PSBT carries BIP-32 key origins so the device recognises its inputs and change; they
  // are derived on the host from the account xpubs (one device call per account).
  const accountPaths = [...new Set([...utxos.map((u) => accountPathOf(String(u.path))), accountPathOf(change)])];
  const account: bitcoin.AccountKey[] = [];
  for (const path of accountPaths) {
    const key = await calls.getPublicKey({ path, coin, signal });
    if (key.rootFingerprint === undefined) throw new TrezorError('NotSupported', 'This firmware does not report the master fingerprint');
    account.push({ xpub: key.xpub, path: key.path, rootFingerprint: key.rootFingerprint });
  }
  unsignedPsbt = bitcoin.createPsbt({
    coin,
    account,
    utxos,
    outputs: [{ address: value('btc-recipient'), amount: BigInt(amount) }],
    feeRate: Number(value('btc-feerate')),
    change: { path: change },
  });
  setText('btc-psbt', base64.encode(unsignedPsbt));
  setText('btc-rawtx', '');
  setText('btc-txid', '');
  show('btc-tx-result');
  $<HTMLButtonElement>('btc-sign').disabled = false;
});

onClick('btc-sign', async (signal) => {
  if (!unsignedPsbt) throw new TrezorError('InvalidParameters', 'Build a PSBT first', { field: 'psbt' });
  // The device shows every output and the fee; the library checks each signature it returns.
  const { psbt, tx, txid } = await coins().bitcoin.signPsbt(unsignedPsbt, { coin: bitcoin.getCoin(value('btc-coin')).name, signal });
  setText('btc-psbt', base64.encode(psbt));
  setText('btc-rawtx', hex.encode(tx));
  setText('btc-txid', txid);
});

// ---------------------------------------------------------------------------------------------
// 5. Ethereum
// ---------------------------------------------------------------------------------------------

onClick('eth-address-get', async (signal) => {
  setText('eth-address', await coins().ethereum.getAddress({ path: value('eth-path'), signal }));
});
onClick('eth-address-show', async (signal) => {
  setText('eth-address', await coins().ethereum.getAddress({ path: value('eth-path'), show: true, signal }));
});

onClick('eth-msg-sign', async (signal) => {
  const message = $<HTMLTextAreaElement>('eth-msg-text').value;
  setText('eth-msg-signature', await coins().ethereum.signMessage({ path: value('eth-path'), message, signal }));
});

/** EIP-712 example: the "Mail" struct from the EIP itself. */
const TYPED_DATA_EXAMPLE = {
  domain: { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0x1e0Ae8205e9726E6F296ab8869160A6423E2337E' },
  types: {
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person' },
      { name: 'contents', type: 'string' },
    ],
  },
  primaryType: 'Mail',
  message: {
    from: { name: 'Cow', wallet: '0xc0004B62C5A39a728e4Af5bee0c6B4a4E54b15ad' },
    to: { name: 'Bob', wallet: '0x54B0Fa66A065748C40dCA2C7Fe125A2028CF9982' },
    contents: 'Hello, Bob!',
  },
};
$<HTMLTextAreaElement>('eth-typed').value = JSON.stringify(TYPED_DATA_EXAMPLE, null, 2);

onClick('eth-typed-sign', async (signal) => {
  let data: { domain: Record<string, unknown>; types: Record<string, { name: string; type: string }[]>; message: Record<string, unknown>; primaryType?: string };
  try {
    data = JSON.parse(value('eth-typed'));
  } catch (error) {
    throw new TrezorError('InvalidParameters', `typed data: not valid JSON (${(error as Error).message})`, { field: 'typedData' });
  }
  const signature = await coins().ethereum.signTypedData({
    path: value('eth-path'),
    domain: data.domain,
    types: data.types,
    message: data.message,
    ...(data.primaryType ? { primaryType: data.primaryType } : {}),
    signal,
  });
  setText('eth-typed-signature', signature);
});

/** "21000", "0x5208", "1.5 gwei", "0.01 eth" → wei. */
function parseQuantity(text: string, field: string): bigint {
  const match = /^\s*(0x[0-9a-f]+|\d+(?:\.\d+)?)\s*(wei|gwei|eth|ether)?\s*$/i.exec(text);
  if (!match) throw new TrezorError('InvalidParameters', `${field}: expected a number, optionally with wei/gwei/eth`, { field });
  const [, number, unit = 'wei'] = match as unknown as [string, string, string | undefined];
  if (number.startsWith('0x') || number.startsWith('0X')) return BigInt(number);
  const decimals = { wei: 0, gwei: 9, eth: 18, ether: 18 }[unit.toLowerCase() as 'wei'];
  const [whole, fraction = ''] = number.split('.') as [string, string?];
  if (fraction.length > decimals) throw new TrezorError('InvalidParameters', `${field}: more decimals than 1 wei`, { field });
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

onClick('eth-tx-sign', async (signal) => {
  const serialized = await coins().ethereum.signTransaction({
    path: value('eth-path'),
    tx: {
      type: 2,
      chainId: parseQuantity(value('eth-chain'), 'chainId'),
      nonce: Number(parseQuantity(value('eth-nonce'), 'nonce')),
      to: value('eth-to'),
      value: parseQuantity(value('eth-value'), 'value'),
      data: value('eth-data') || '0x',
      gasLimit: parseQuantity(value('eth-gas'), 'gasLimit'),
      maxFeePerGas: parseQuantity(value('eth-maxfee'), 'maxFeePerGas'),
      maxPriorityFeePerGas: parseQuantity(value('eth-priority'), 'maxPriorityFeePerGas'),
    },
    signal,
  });
  setText('eth-tx-serialized', serialized);
  setText('eth-tx-hash', '0x' + hex.encode(keccak_256(hex.decode(serialized.slice(2)))));
  show('eth-tx-result');
});

// ---------------------------------------------------------------------------------------------
// 6. Set up a Trezor (setup.ts)
// ---------------------------------------------------------------------------------------------

installSetupPanel({ trezor: requireTrezor, virtual: virtualDevice, onClick, refresh: renderDevice });

// ---------------------------------------------------------------------------------------------
// Copy buttons
// ---------------------------------------------------------------------------------------------

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-copy]')) {
  button.addEventListener('click', () => {
    const text = $(button.dataset.copy!).textContent ?? '';
    navigator.clipboard.writeText(text).then(
      () => {
        button.textContent = 'Copied';
        setTimeout(() => (button.textContent = 'Copy'), 1200);
      },
      (error: unknown) => showError(error),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Start-up: what this browser supports, and a paired Trezor from an earlier visit
// ---------------------------------------------------------------------------------------------

async function init(): Promise<void> {
  const platform = navigator as Navigator & { usb?: unknown; hid?: unknown };
  const hasUsb = Boolean(platform.usb);
  const hasHid = Boolean(platform.hid);
  $<HTMLButtonElement>('connect-usb').disabled = !hasUsb;
  $<HTMLButtonElement>('connect-hid').disabled = !hasHid;
  if (!window.isSecureContext) {
    setText('usb-support', 'USB needs a secure page: open this over https or http://localhost. The virtual Trezor works anywhere.');
  } else if (!hasUsb && !hasHid) {
    setText(
      'usb-support',
      'This browser has neither WebUSB nor WebHID (Firefox and Safari do not implement them), so this page cannot reach a USB Trezor directly. Use Trezor Connect below, Chrome, Edge, Brave or Opera — or the virtual Trezor.',
    );
  } else {
    setText('usb-support', 'The browser asks which device to use the first time; after that this page remembers it.');
  }
  $('usb-support').dataset.support = hasUsb ? 'webusb' : hasHid ? 'webhid' : 'none';
  // No USB API: Trezor Connect instead of the USB buttons.
  show('usb-buttons', hasUsb || hasHid);
  show('connect-fallback', !hasUsb && !hasHid && window.isSecureContext);

  // A device this origin was given access to before is listed without a chooser, so the page
  // can reopen it on load when that is what the user did last time.
  const last = localStorage.getItem(LAST_SOURCE_KEY);
  const source: Source | undefined = last === 'usb' && hasUsb ? { kind: 'usb' } : last === 'hid' && hasHid ? { kind: 'hid' } : undefined;
  if (source) {
    const paired = await transportFor(source)
      .enumerate()
      .catch(() => []);
    if (paired.length > 0) {
      setText('usb-support', `Paired: ${paired[0]!.product ?? 'Trezor'}. Reconnecting…`);
      await run(undefined, (signal) => connectTo(source, signal));
      setText('usb-support', session ? `Reconnected to the paired ${paired[0]!.product ?? 'Trezor'}.` : 'The paired Trezor did not answer: plug it in and click Connect.');
    }
  }
}

// Reopen automatically when the unplugged Trezor comes back while the notice is up.
(navigator as Navigator & { usb?: EventTarget }).usb?.addEventListener('connect', () => {
  if (!$('disconnected').hidden && lastSource?.kind === 'usb') void run($<HTMLButtonElement>('reconnect'), (s) => connectTo(lastSource!, s));
});

// ---------------------------------------------------------------------------------------------
// Test hook: only with ?test in the URL. The browser tests read the virtual device's screen
// (the scrambled PIN matrix) through its debug link, as the firmware's own tests do.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// 6. Log in with Trezor: challenge from the server, SignIdentity on the device, server verifies.
// ---------------------------------------------------------------------------------------------

let lastLogin: LoginResponse | undefined;

async function sendLogin(response: LoginResponse, signal: AbortSignal): Promise<void> {
  const res = await fetch('/api/login/verify', { method: 'POST', body: JSON.stringify(response), headers: { 'Content-Type': 'application/json' }, signal });
  const answer = (await res.json()) as { ok: boolean; publicKey?: string; reason?: string };
  setText('login-result', answer.ok ? `${res.status} logged in` : `${res.status} refused: ${answer.reason ?? 'error'}`);
  if (answer.publicKey) setText('login-account', answer.publicKey);
}

onClick('login-run', async (signal) => {
  const trezor = requireTrezor();
  const challenge = (await (await fetch('/api/login/challenge', { signal })).json()) as { challengeHidden: string; challengeVisual: string };
  lastLogin = await login(trezor, { ...challenge, identity: location.origin, signal });
  await sendLogin(lastLogin, signal);
  $<HTMLButtonElement>('login-replay').disabled = false;
});
// A replay: the server has seen this challenge and refuses it.
onClick('login-replay', (signal) => (lastLogin ? sendLogin(lastLogin, signal) : Promise.resolve()));

/**
 * Test only, and only with ?test in the URL: a stand-in TrezorConnect object the browser tests
 * put on `window.__trezorDirectTestConnect` (before the page loads) is used instead of the
 * bundled @trezor/connect-web, so the fallback can be driven with no connect.trezor.io.
 */
const testStandIn: TrezorConnectObject | undefined = new URLSearchParams(location.search).has('test')
  ? (window as Window & { __trezorDirectTestConnect?: TrezorConnectObject }).__trezorDirectTestConnect
  : undefined;

if (new URLSearchParams(location.search).has('test')) {
  const virtual = () => {
    const source = session?.source ?? lastSource;
    if (source?.kind !== 'virtual') throw new Error('no virtual device');
    return source.device;
  };
  Object.assign(window, {
    __trezorDirectTest: {
      connected: () => session !== undefined,
      transport: () => session?.transport.name,
      pinMatrix: async () => (await virtual().debugLink().getState()).matrix,
      press: (button: 'yes' | 'no') => virtual().debugLink().press(button),
      // Backup and recovery, as trezorlib's tests read them: the word on screen, which word is asked.
      resetWord: () => virtual().debugLink().readResetWord(),
      recoveryWord: () => virtual().debugLink().readRecoveryWord(),
      screen: async () => (await virtualScreen(virtual())) ?? [],
    },
  });
}

void init().finally(() => (document.documentElement.dataset.ready = 'true'));
