/** A pending timer of a {@link Clock}. */
export interface ClockTimer {
  /** Cancels the timer; its callback is not called after this. Calling it again is harmless. */
  cancel(): void;
}

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
  /**
   * Optional: calls `callback` once after `ms` milliseconds, unless cancelled first. The electors
   * use it for their own waits when present (no promise, `AbortController` or listener per wait,
   * which matters with a thousand electors in one process), and `sleep` otherwise.
   */
  setTimer?(ms: number, callback: () => void): ClockTimer;
  /**
   * Optional: wall-clock time, for the timestamps written into records (for humans and other
   * tools: never used for a validity decision). Default `new Date()`. Simulations give every
   * process its own.
   */
  date?(): Date;
}

/** `clock.date()` when the clock has it, else `new Date()`. */
export function wallTime(clock: Clock): Date {
  return clock.date?.() ?? new Date();
}

/** The longest delay `setTimeout` honours (about 24.8 days); longer ones fire after 1 ms. */
export const maxTimerMs = 2_147_483_647;

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
      // An infinite wait ends only by abort; a longer one than setTimeout honours is capped.
      const timer =
        ms === Infinity
          ? undefined
          : setTimeout(
              () => {
                signal?.removeEventListener('abort', onAbort);
                resolve();
              },
              Math.min(maxTimerMs, Math.max(0, ms)),
            );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  setTimer: (ms, callback) => {
    if (ms === Infinity) return { cancel: () => undefined }; // never fires
    const timer = setTimeout(callback, Math.min(maxTimerMs, Math.max(0, ms)));
    return {
      cancel: () => {
        clearTimeout(timer);
      },
    };
  },
};

/**
 * Calls `callback` after `ms` on `clock`: with its `setTimer` when it has one, else with `sleep`
 * and an `AbortController` to cancel it.
 */
export function startTimer(clock: Clock, ms: number, callback: () => void): ClockTimer {
  if (clock.setTimer !== undefined) return clock.setTimer(ms, callback);
  const cancelled = new AbortController();
  clock.sleep(ms, cancelled.signal).then(callback, () => undefined);
  return {
    cancel: () => {
      cancelled.abort(timerCancelled);
    },
  };
}

/**
 * The reason to abort a timer's signal with when nobody will look at it (the wait was merely
 * cancelled). `abort()` without a reason builds a new `DOMException`, stack included, on every
 * call: on the request path of a thousand electors that is a measurable share of their CPU.
 */
export const timerCancelled: unknown = Object.freeze({ reason: 'timer cancelled' });
