/**
 * Time, injected so that tests run in virtual time. `now()` is monotonic milliseconds (as
 * `performance.now()`); `sleep` resolves after `ms`, or rejects with the signal's reason as soon
 * as `signal` aborts.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock: `performance.now()` and the global `setTimeout`, looked up at each call, so that
 * sinon's fake timers (faking `setTimeout` and `performance`) drive it in tests, as they drive
 * `@kubekit/leaderelection`'s clock.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
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
        Math.min(2_147_483_647, Math.max(0, ms)),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
