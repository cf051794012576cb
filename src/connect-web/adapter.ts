/**
 * fromTrezorConnect(): checks that it was given a TrezorConnect object and puts the Bitcoin and
 * Ethereum halves together (./bitcoin.ts, ./ethereum.ts).
 */
import { invalidParameter } from '../errors.js';
import { connectBitcoin, type ConnectBitcoin } from './bitcoin.js';
import { CONNECT_METHODS, type TrezorConnectLike } from './connect.js';
import { connectEthereum, type ConnectEthereum } from './ethereum.js';

/** What {@link fromTrezorConnect} returns: the coin calls without their `trezor` argument. */
export interface TrezorConnectAdapter {
  bitcoin: ConnectBitcoin;
  ethereum: ConnectEthereum;
}

/**
 * Adapt trezor-direct's Bitcoin and Ethereum calls to a Trezor Connect instance.
 * @example const { ethereum } = fromTrezorConnect(TrezorConnect); await ethereum.signMessage({ path, message: 'hi' })
 */
export function fromTrezorConnect(connect: TrezorConnectLike): TrezorConnectAdapter {
  const missing = CONNECT_METHODS.filter((name) => typeof (connect as unknown as Record<string, unknown> | null)?.[name] !== 'function');
  if (missing.length) throw invalidParameter('TrezorConnect', `expected a TrezorConnect object, missing ${missing.join(', ')}`);
  return { bitcoin: connectBitcoin(connect), ethereum: connectEthereum(connect) };
}
