/**
 * AbortSignal helpers that every layer uses (the session races UI handlers against a call's
 * signal, connect() its start-up, transports their platform promises). They do no I/O and know
 * nothing of devices, so they live beside errors.ts, below every layer.
 */

/**
 * What an aborted operation rejects with: the signal's reason, or an AbortError.
 * @example if (signal.aborted) throw abortReason(signal)
 */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * Resolve with `promise`, or reject as soon as `signal` aborts.
 * @example const devices = await withSignal(navigator.usb.getDevices(), signal)
 */
export function withSignal<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
