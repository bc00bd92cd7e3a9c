import { setTimeout as sleepFor } from 'node:timers/promises';

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

/** The process's monotonic clock (`performance.now()`) and real timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: async (ms, signal) => {
    await sleepFor(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  },
};
