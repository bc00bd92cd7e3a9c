/**
 * Time as the elector sees it. `now()` is monotonic milliseconds (never wall-clock time): every
 * validity decision uses it. Inject a fake in tests to run in virtual time.
 */
export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with the signal's reason as soon as `signal`
   * aborts (at once if it already has). Leaves no timer behind either way.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The process's monotonic clock (`performance.now()`) and the global timers, so that sinon's fake
 * timers (faking `setTimeout` and `performance`) drive it in tests.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * The reason to abort a timer's signal with when nobody will look at it (the wait was merely
 * cancelled). `abort()` without a reason builds a new `DOMException`, stack included, on every
 * call: on the request path of a thousand electors that is a measurable share of their CPU.
 */
export const timerCancelled: unknown = Object.freeze({ reason: 'timer cancelled' });
