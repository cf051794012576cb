/**
 * Start-up probe (bench/peer/startup.ts bundles and runs it in a fresh Node process): an app
 * that imports the core and Bitcoin entries, connects to the UDP device given as argv[2]
 * (host:port) and prints its model as soon as the first Features are in.
 */
import { connect } from '../../src/index.js';
import { udp } from '../../src/node.js';
import { getAddress } from '../../src/bitcoin/index.js';

const [host, port] = (process.argv[2] ?? '127.0.0.1:21324').split(':');
const trezor = await connect({ transport: udp({ host, port: Number(port) }), sessionId: null });
console.log(`features ${trezor.features.model} ${typeof getAddress}`);
await trezor.close();
