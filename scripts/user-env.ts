/**
 * A small client for the trezor-user-env controller: the websocket server (port 9001) inside
 * the ghcr.io/trezor/trezor-user-env image that starts, seeds and stops the official Trezor
 * emulators. The device suite then talks to the emulator itself over UDP (wire 21324, debug
 * link 21325); this script only prepares it.
 *
 * Controller protocol (trezor/trezor-user-env docs/controller.md and src/controller.py):
 * - a request is one JSON object, the command in `type`, its arguments beside it, and an
 *   `id` that the controller copies into the response so the two can be matched;
 * - a response carries `success` (boolean), `response` on success or `error` on failure;
 * - on connect the controller first sends an unsolicited welcome (`{"type": "client", …}`),
 *   which is not an answer to anything and is ignored here;
 * - `emulator-start` needs `model` ('T1B1', 'T2T1', …); `version` may be an exact release or
 *   '<major>-latest'; `emulator-setup` needs all of mnemonic, pin, passphrase_protection, label.
 *
 * CLI (used by .github/workflows/emulator.yml):
 *   tsx scripts/user-env.ts start --model T1B1 [--version 1-latest] [--url ws://127.0.0.1:9001]
 *   tsx scripts/user-env.ts setup [--mnemonic "all all …"] [--pin 1234] [--passphrase] [--label name]
 *   tsx scripts/user-env.ts stop
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

/** The SLIP-14 test seed every firmware device test uses. */
export const SLIP14_MNEMONIC = 'all all all all all all all all all all all all';
export const DEFAULT_CONTROLLER_URL = 'ws://127.0.0.1:9001';

export type EmulatorModel = 'T1B1' | 'T2T1' | 'T2B1' | 'T3B1' | 'T3T1' | 'T3W1';

/** One controller command: `type` plus its arguments. */
export interface ControllerCommand {
  type: string;
  [argument: string]: unknown;
}

/** What the controller answers (the parts we read). */
export interface ControllerResponse {
  id: number;
  success: boolean;
  response?: unknown;
  error?: string;
}

export interface UserEnvOptions {
  /** Controller address (default ws://127.0.0.1:9001). */
  url?: string;
  /** How long to wait for each answer; starting an emulator can take a while (default 120 s). */
  timeoutMs?: number;
}

/** An open controller connection. Requests may overlap; answers are matched by id. */
export interface UserEnv {
  /** Send a command and resolve with its successful response (rejects on `success: false`). */
  send(command: ControllerCommand): Promise<ControllerResponse>;
  close(): Promise<void>;
}

/**
 * Open a connection to the trezor-user-env controller.
 * @example const env = await connectUserEnv(); await startEmulator(env, { model: 'T2T1' })
 */
export async function connectUserEnv({ url = DEFAULT_CONTROLLER_URL, timeoutMs = 120_000 }: UserEnvOptions = {}): Promise<UserEnv> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', (e) => reject(new Error(`trezor-user-env controller at ${url}: ${e.message}`)));
  });

  let nextId = 1;
  const pending = new Map<number, { resolve: (r: ControllerResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  ws.on('message', (data) => {
    let message: Partial<ControllerResponse>;
    try {
      message = JSON.parse(String(data)) as Partial<ControllerResponse>;
    } catch {
      return; // not JSON: nothing we asked for
    }
    const waiter = typeof message.id === 'number' ? pending.get(message.id) : undefined;
    if (!waiter) return; // the welcome message, or an answer to a request that timed out
    pending.delete(message.id as number);
    clearTimeout(waiter.timer);
    if (message.success === true) waiter.resolve(message as ControllerResponse);
    else waiter.reject(new Error(`trezor-user-env: ${message.error ?? 'command failed'}`));
  });
  const failAll = (reason: string) => {
    for (const [id, waiter] of pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`trezor-user-env: ${reason}`));
      pending.delete(id);
    }
  };
  ws.on('close', () => failAll('the controller closed the connection'));
  ws.on('error', (e) => failAll(e.message));

  return {
    send(command) {
      const id = nextId++;
      return new Promise<ControllerResponse>((resolve, reject) => {
        if (ws.readyState !== WebSocket.OPEN) {
          reject(new Error('trezor-user-env: the connection is closed'));
          return;
        }
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`trezor-user-env: no answer to ${command.type} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        ws.send(JSON.stringify({ ...command, id }));
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      });
    },
  };
}

export interface StartEmulatorOptions {
  model: EmulatorModel;
  /** Exact release ('2.8.1') or '<major>-latest' (default: the latest release of the model's line). */
  version?: string;
  /** Start from an empty profile (default true). */
  wipe?: boolean;
}

/** The default `version` for a model: the latest release of its firmware line. */
export function latestVersion(model: EmulatorModel): string {
  return model === 'T1B1' ? '1-latest' : '2-latest';
}

/**
 * Stop the bridge (its port 21325 is the emulator's debug link port, and the device suite
 * talks UDP directly) and start an emulator of `model`.
 */
export async function startEmulator(env: UserEnv, { model, version = latestVersion(model), wipe = true }: StartEmulatorOptions): Promise<void> {
  await env.send({ type: 'bridge-stop' });
  await env.send({ type: 'emulator-start', model, version, wipe });
}

export interface SetupEmulatorOptions {
  mnemonic?: string;
  /** Empty string for no PIN (the default). */
  pin?: string;
  passphraseProtection?: boolean;
  label?: string;
}

/** Load a seed into the running emulator (trezorlib load_device through the controller). */
export async function setupEmulator(
  env: UserEnv,
  { mnemonic = SLIP14_MNEMONIC, pin = '', passphraseProtection = false, label = 'trezor-direct' }: SetupEmulatorOptions = {},
): Promise<void> {
  await env.send({ type: 'emulator-setup', mnemonic, pin, passphrase_protection: passphraseProtection, label });
}

export async function stopEmulator(env: UserEnv): Promise<void> {
  await env.send({ type: 'emulator-stop' });
}

const MODELS: readonly EmulatorModel[] = ['T1B1', 'T2T1', 'T2B1', 'T3B1', 'T3T1', 'T3W1'];

/** The command-line entry; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      model: { type: 'string' },
      version: { type: 'string' },
      mnemonic: { type: 'string' },
      pin: { type: 'string' },
      passphrase: { type: 'boolean' },
      label: { type: 'string' },
      timeout: { type: 'string' },
    },
  });
  const action = positionals[0];
  if (action !== 'start' && action !== 'setup' && action !== 'stop') {
    console.error('usage: tsx scripts/user-env.ts start --model T1B1|T2T1 [--version 2-latest] | setup [--mnemonic …] | stop  [--url ws://127.0.0.1:9001]');
    return 2;
  }
  if (action === 'start' && !MODELS.includes(values.model as EmulatorModel)) {
    console.error(`--model must be one of ${MODELS.join(', ')}`);
    return 2;
  }
  // Number('abc') is NaN, and a NaN timer fires at once: every command would time out.
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    console.error('--timeout must be a whole number of milliseconds above 0');
    return 2;
  }
  const env = await connectUserEnv({
    url: values.url ?? DEFAULT_CONTROLLER_URL,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  try {
    if (action === 'start') {
      await startEmulator(env, { model: values.model as EmulatorModel, ...(values.version ? { version: values.version } : {}) });
      console.log(`emulator ${values.model} started`);
    } else if (action === 'setup') {
      await setupEmulator(env, {
        ...(values.mnemonic ? { mnemonic: values.mnemonic } : {}),
        ...(values.pin ? { pin: values.pin } : {}),
        passphraseProtection: values.passphrase ?? false,
        ...(values.label ? { label: values.label } : {}),
      });
      console.log('emulator seeded'); // the seed itself is never printed
    } else {
      await stopEmulator(env);
      console.log('emulator stopped');
    }
    return 0;
  } finally {
    await env.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
