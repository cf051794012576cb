/**
 * `trezor-direct/wagmi`: a wagmi connector (@wagmi/core 2.x) for a Trezor reached directly,
 * with no popup and no ethers. @wagmi/core and viem are optional peer dependencies: the app's
 * own copies are used, never bundled.
 *
 * @example
 * import { createConfig, http, connect, sendTransaction } from '@wagmi/core';
 * import { mainnet } from '@wagmi/core/chains';
 * import { trezor } from 'trezor-direct/wagmi';
 * const config = createConfig({ chains: [mainnet], connectors: [trezor()], transports: { [mainnet.id]: http() } });
 */
export { trezor, accountPaths, type AccountLayout, type Eip1193Provider, type TrezorParameters } from './connector.js';
