// trezor-direct/connect-web on a Safe 5 (T3T1) 2.8.9: every SLIP-14 vector through Trezor
// Connect and directly (support/connect-paths.ts). On Core firmware Connect streams EIP-712 as
// structures (EthereumSignTypedData), where the Trezor One signs the two hashes.
import { connectVectorSuite } from './support/connect-paths.js';

connectVectorSuite('T3T1', 'Safe 5 2.8.9');
