#!/usr/bin/env node
/**
 * trezor-direct-virtual: run a VirtualTrezor on the emulator's UDP ports, for trezorctl,
 * Trezor Suite, trezorlib tests or any client that speaks to the official emulator.
 *
 *   trezor-direct-virtual [--port 21324] [--model T1B1|T2T1|T2B1|T3T1|T3W1] [--firmware 2.8.1] [--mnemonic "…"]
 *                         [--pin 1234] [--passphrase] [--label NAME] [--auto-confirm] [--thp]
 *
 * --thp speaks the Trezor Host Protocol instead of protocol v1 (a Safe 7, --model T3W1, always
 * does): trezorlib 0.20.1 / trezorctl pair with it by code entry, the code read from the screen
 * or through the debug link (DebugLinkGetPairingInfo), as the firmware's debug build offers it.
 *
 * Without --mnemonic the device starts blank (load a seed through the debug link, as the
 * emulator's tests do), so --pin and --passphrase need it. --firmware sets the version the device claims (default 1.14.1 / 2.4.1,
 * the recorded emulators) and with it taproot, EIP-1559 and EIP-712 (VirtualTrezorOptions.firmware).
 * The PIN and mnemonic are never printed.
 */
import { mnemonicProblem } from '../testing/virtual/bip39.js';
import { VirtualTrezor } from '../testing/virtual/device.js';
import type { Model } from '../testing/virtual/context.js';

/** The models VirtualTrezor plays (src/testing/virtual/context.ts Model). */
const VIRTUAL_MODELS: readonly Model[] = ['T1B1', 'T2T1', 'T2B1', 'T3T1', 'T3W1'];

const USAGE = `usage: trezor-direct-virtual [--port 21324] [--model T1B1|T2T1|T2B1|T3T1|T3W1] [--firmware X.Y.Z] [--mnemonic "words…"]
                             [--pin DIGITS] [--passphrase] [--label NAME] [--auto-confirm] [--thp]`;

interface Arguments {
  port: number;
  model: Model;
  firmware?: string;
  mnemonic?: string;
  pin?: string;
  passphrase: boolean;
  label?: string;
  autoConfirm: boolean;
  thp: boolean;
}

function parse(argv: readonly string[]): Arguments {
  const args: Arguments = { port: 21324, model: 'T1B1', passphrase: false, autoConfirm: false, thp: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65534) throw new Error('--port must be 0..65534');
        args.port = port;
        break;
      }
      case '--model': {
        const model = value().toUpperCase();
        if (!VIRTUAL_MODELS.includes(model as Model)) throw new Error(`--model must be one of ${VIRTUAL_MODELS.join(', ')}`);
        args.model = model as Model;
        break;
      }
      case '--firmware':
        args.firmware = value();
        if (!/^\d+\.\d+\.\d+$/.test(args.firmware)) throw new Error('--firmware must look like 2.8.1');
        break;
      case '--mnemonic':
        args.mnemonic = value().trim().split(/\s+/).join(' ');
        break;
      case '--pin':
        args.pin = value();
        if (!/^[0-9]{1,50}$/.test(args.pin)) throw new Error('--pin must be 1 to 50 digits');
        break;
      case '--passphrase':
        args.passphrase = true;
        break;
      case '--label':
        args.label = value();
        break;
      case '--auto-confirm':
        args.autoConfirm = true;
        break;
      case '--thp':
        args.thp = true;
        break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        // A stray value is not echoed: it is most likely the second word of an unquoted
        // --mnemonic, and the mnemonic is never printed.
        if (!flag.startsWith('-')) throw new Error('unexpected value (a multi-word --mnemonic must be quoted)');
        throw new Error(`unknown option ${flag}`);
    }
  }
  // Checked after the loop, so that an unquoted mnemonic gets "must be quoted" above. Neither
  // message repeats a word of it.
  const problem = args.mnemonic === undefined ? undefined : mnemonicProblem(args.mnemonic);
  if (problem) throw new Error(`--mnemonic is not a BIP-39 mnemonic the firmware accepts: ${problem}`);
  // Without a seed the device is blank: it would silently have no PIN and no passphrase.
  if ((args.pin || args.passphrase) && !args.mnemonic) throw new Error('--pin and --passphrase need --mnemonic');
  if (args.pin && args.model === 'T1B1' && /0/.test(args.pin)) throw new Error('a Trezor One PIN uses the digits 1-9');
  if (args.model === 'T3W1') args.thp = true; // the Safe 7 speaks THP only
  if (args.thp && args.model === 'T1B1') throw new Error('--thp needs a Core model (the Trezor One has no THP firmware): add --model T3W1');
  if (args.firmware && Number(args.firmware.split('.')[0]) !== (args.model === 'T1B1' ? 1 : 2)) {
    throw new Error(`--firmware ${args.firmware} is not a ${args.model} version (${args.model === 'T1B1' ? '1' : '2'}.x.y)`);
  }
  return args;
}

async function main(): Promise<void> {
  let args: Arguments;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`trezor-direct-virtual: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  let virtual: VirtualTrezor;
  let port: number;
  let debugPort: number;
  try {
    virtual = new VirtualTrezor({
      model: args.model,
      ...(args.firmware ? { firmware: args.firmware } : {}),
      passphraseProtection: args.passphrase,
      autoConfirm: args.autoConfirm,
      thp: args.thp,
      ...(args.mnemonic ? { mnemonic: args.mnemonic } : {}),
      ...(args.pin ? { pin: args.pin } : {}),
      ...(args.label !== undefined ? { label: args.label } : {}),
    });
    ({ port, debugPort } = await virtual.listenUdp({ port: args.port }));
  } catch (error) {
    // Neither message can hold the PIN or mnemonic: the device only stores them.
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? `udp port ${args.port} or ${args.port + 1} is in use` : (error as Error).message;
    console.error(`trezor-direct-virtual: ${reason}`);
    process.exit(1);
  }
  const state = args.mnemonic ? `seeded${args.pin ? ', PIN set' : ''}${args.passphrase ? ', passphrase on' : ''}` : 'blank';
  const protocol = args.thp ? ', THP' : '';
  console.log(`virtual Trezor ${args.model} ${virtual.firmware} (${state}${protocol}): wire udp:127.0.0.1:${port}, debug link udp:127.0.0.1:${debugPort}`);
  const stop = async () => {
    await virtual.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

void main();
