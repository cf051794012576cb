/**
 * Start-up probe like startup-bitcoin.ts, for an app that also imports the Ethereum entry
 * (and so ethers).
 */
import { connect } from '../../src/index.js';
import { udp } from '../../src/node.js';
import { getAddress } from '../../src/bitcoin/index.js';
import { signTransaction } from '../../src/ethereum/index.js';

const [host, port] = (process.argv[2] ?? '127.0.0.1:21324').split(':');
const trezor = await connect({ transport: udp({ host, port: Number(port) }), sessionId: null });
console.log(`features ${trezor.features.model} ${typeof getAddress} ${typeof signTransaction}`);
await trezor.close();
