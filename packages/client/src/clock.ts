import { setTimeout as sleepFor } from 'node:timers/promises';

/**
 * Time, injected so that tests run in virtual time. `now()` is monotonic milliseconds (as
 * `performance.now()`); `sleep` resolves after `ms`, or rejects with the signal's reason as soon
 * as `signal` aborts.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: async (ms, signal) => {
    await sleepFor(ms, undefined, signal === undefined ? {} : { signal });
  },
};
