import type { Runnable } from '@kubekit/manager';

/** Resolves once `signal` aborts (never, if it never does). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
}

/** A runnable that counts its starts and runs until its signal aborts. */
export function countingRunnable(): Runnable & { readonly starts: number } {
  let starts = 0;
  return {
    get starts() {
      return starts;
    },
    start: async (signal) => {
      starts += 1;
      await untilAborted(signal);
    },
  };
}

/**
 * A cache (a runnable with `waitForCacheSync`) whose sync never answers and ignores its signal,
 * e.g. a list that hangs; it runs until its signal aborts.
 */
export function cacheThatNeverSyncs(): Runnable {
  return {
    start: (signal: AbortSignal) => untilAborted(signal),
    waitForCacheSync: () => new Promise<boolean>(() => undefined),
  } as Runnable;
}
