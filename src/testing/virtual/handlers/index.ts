/**
 * Where the coin handler tables plug into the virtual device. Each coin module of the device
 * (handlers/bitcoin.ts, handlers/ethereum.ts) exports one HandlerTable written against
 * ../context.ts; listing it here is all it takes for VirtualTrezor to serve its messages.
 * A message without a handler is answered with Failure(UnexpectedMessage), as the firmware
 * answers a message it does not know.
 */
import type { HandlerTable } from '../context.js';
import { bitcoinHandlers } from './bitcoin.js';
import { ethereumHandlers } from './ethereum.js';

/** Coin tables in lookup order (the first table with a handler for a message wins). */
export const coinHandlers: readonly HandlerTable[] = [bitcoinHandlers, ethereumHandlers];
