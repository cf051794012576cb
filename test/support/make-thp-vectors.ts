// Re-make test/fixtures/thp/trezorlib-vectors.json: `npx tsx test/support/make-thp-vectors.ts`.
// Every expected value in it is what trezorlib 0.20.1's code computed or wrote (see
// test/support/thp_trezorlib.py); the device packets it was fed are stored beside them.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { buildHandshakeCase, handshakeTask, pairingTasks, runTrezorlib, trezorlibMissing } from './thp-cases.js';

const missing = trezorlibMissing();
if (missing) throw new Error(missing);
const cases = [buildHandshakeCase(false), buildHandshakeCase(true)];
const handshakes = runTrezorlib(cases.map(handshakeTask)).map((r, i) => ({ ...cases[i]!, trezorlib: r }));
const tasks = pairingTasks();
const pairing = runTrezorlib(tasks).map((r, i) => ({ input: tasks[i], trezorlib: r }));
const out = fileURLToPath(new URL('../fixtures/thp/trezorlib-vectors.json', import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ meta: { generated_with: 'trezorlib 0.20.1 (test/support/thp_trezorlib.py)' }, handshakes, pairing }, null, 1) + '\n');
console.log(`wrote ${out}`);
