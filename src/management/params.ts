/**
 * Argument checks shared by the management flows. Each flow checks everything it was given
 * before the first message goes out, so a wrong argument never leaves the device half-way
 * through a setup screen. Errors name the field, never a PIN or a word.
 */
import { describeValue, invalidParameter } from '../errors.js';

/** Longest label the firmware stores (legacy MAX_LABEL_LEN, core storage.device.LABEL_MAXLENGTH): 32 bytes of UTF-8. */
export const MAX_LABEL_BYTES = 32;

/** The parameters object itself: a plain object (or nothing, when every field is optional). */
export function aparams<T extends object>(params: unknown, required = false): Partial<T> {
  if (params === undefined && !required) return {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw invalidParameter('params', `expected an object, got ${describeValue(params)}`);
  }
  return params as Partial<T>;
}

/** An optional boolean. */
export function abool(field: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalidParameter(field, `expected true or false, got ${describeValue(value)}`);
}

/** An optional device label: a string of at most 32 UTF-8 bytes. */
export function alabel(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidParameter(field, `expected a string, got ${describeValue(value)}`);
  if (new TextEncoder().encode(value).length > MAX_LABEL_BYTES) throw invalidParameter(field, `at most ${MAX_LABEL_BYTES} bytes of UTF-8`);
  return value;
}

/** An optional AbortSignal. */
export function asignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null && typeof (value as AbortSignal).aborted === 'boolean' && typeof (value as AbortSignal).addEventListener === 'function') {
    return value as AbortSignal;
  }
  throw invalidParameter('signal', `expected an AbortSignal, got ${describeValue(value)}`);
}

/** One of the listed values (or undefined). */
export function aoneOf<T>(field: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (allowed.includes(value as T)) return value as T;
  throw invalidParameter(field, `expected one of ${allowed.map((v) => describeValue(v)).join(', ')}, got ${describeValue(value)}`);
}

/** The Trezor One (legacy firmware) asks the host for recovery words; Core models enter them on the device. */
export function isTrezorOne(features: { model?: string; internal_model?: string }): boolean {
  return features.model === '1' || features.internal_model === 'T1B1';
}
