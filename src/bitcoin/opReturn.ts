/**
 * OP_RETURN data outputs: the one form the firmware signs (PAYTOOPRETURN), and the relay limits.
 *
 * The firmware compiles an OP_RETURN output from its data alone: `OP_RETURN <one push of the
 * data>`, with a direct push up to 75 bytes and OP_PUSHDATA1 above (trezor-firmware
 * core/src/apps/bitcoin/scripts.py output_script_paytoopreturn, write_op_push), and requires
 * amount 0. So a PSBT output can go to the device as PAYTOOPRETURN only when its script is
 * exactly that; createPsbt writes it that way.
 *
 * Standardness (what nodes relay, Bitcoin Core policy/policy.h and policy.cpp up to v29):
 * MAX_OP_RETURN_RELAY = 83 bytes of script (OP_RETURN, OP_PUSHDATA1, length, 80 bytes of data),
 * and at most one data-carrier output per transaction ("multi-op-return").
 */
import { concatBytes } from '@noble/hashes/utils.js';

/** Most data bytes one standard OP_RETURN output carries (Bitcoin Core MAX_OP_RETURN_RELAY 83 − 3). */
export const MAX_OP_RETURN_DATA = 80;

/**
 * `OP_RETURN <push data>` as the firmware compiles it.
 * @example opReturnScript(new TextEncoder().encode('dead')) // 6a 04 64656164
 */
export function opReturnScript(data: Uint8Array): Uint8Array {
  const push = data.length < 0x4c ? Uint8Array.of(data.length) : Uint8Array.of(0x4c, data.length);
  return concatBytes(Uint8Array.of(0x6a), push, data);
}

/** Whether a script starts with OP_RETURN (unspendable; a data carrier). */
export function isOpReturn(script: Uint8Array): boolean {
  return script[0] === 0x6a;
}

/**
 * The data of an OP_RETURN script with one canonical push (the only form the device signs), or
 * undefined for any other script.
 * @example opReturnData(hex.decode('6a0464656164')) // 64656164
 */
export function opReturnData(script: Uint8Array): Uint8Array | undefined {
  if (!isOpReturn(script) || script.length < 2) return undefined;
  const direct = script[1]! < 0x4c;
  const length = direct ? script[1]! : script[1] === 0x4c && script.length >= 3 ? script[2]! : -1;
  if (length < 0 || length > 0xff) return undefined;
  const data = script.subarray(direct ? 2 : 3);
  if (data.length !== length) return undefined;
  // A short push written with OP_PUSHDATA1 is not how the firmware compiles it.
  return script.length === opReturnScript(data).length ? data : undefined;
}
