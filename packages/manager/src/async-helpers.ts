/** Reads `signal.aborted` afresh (after an await), out of reach of the compiler's narrowing. */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** Resolves when `signal` aborts; never once `cancel` aborts first (its listener is then removed). */
export function whenAborted(signal: AbortSignal, cancel?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      cancel?.removeEventListener('abort', onCancel);
      resolve();
    };
    const onCancel = (): void => {
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    cancel?.addEventListener('abort', onCancel, { once: true });
  });
}

/** `fn()` as a promise: a synchronous throw becomes a rejection, a value a resolution. */
export function callAsync<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error: unknown) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** True for an `AbortSignal` (or an object that behaves as one). */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (value instanceof AbortSignal) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<AbortSignal>).aborted === 'boolean' &&
    typeof (value as Partial<AbortSignal>).addEventListener === 'function' &&
    typeof (value as Partial<AbortSignal>).removeEventListener === 'function'
  );
}

/** The message of an error, or the value as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
