import { maxTimerMs, startTimer, type Clock } from '../clock.js';

/** Reads `signal.aborted` afresh (a call, so that flow analysis does not assume it unchanged). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** How a drain ended: every tracked promise settled, or the timeout passed first. */
export interface DrainResult {
  /** True when tracked work was still running when the timeout passed. */
  readonly timedOut: boolean;
  /** The names of the work still running (unnamed work counts as `unnamed work`). */
  readonly pending: readonly string[];
}

/** Leader-gated work registered with a term, awaited before a voluntary release. */
export class WorkTracker {
  private readonly tracked = new Map<Promise<unknown>, string>();

  /** Registers `work` (named for error messages) until it settles; returns `work` unchanged. */
  track<T>(work: Promise<T>, name = 'unnamed work'): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.tracked.set(settled, name);
    void settled.then(() => this.tracked.delete(settled));
    return work;
  }

  /** How many tracked promises have not settled yet. */
  get size(): number {
    return this.tracked.size;
  }

  /** The names of the work that has not settled yet. */
  pendingNames(): string[] {
    return [...this.tracked.values()];
  }

  /**
   * Resolves once every tracked promise (including those tracked meanwhile) has settled, or once
   * `timeoutMs` has passed on `clock`, saying which, or (not timed out) when `signal` aborts.
   * Never rejects; leaves no timer behind.
   */
  async drain(clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<DrainResult> {
    if (this.tracked.size === 0 || signal?.aborted === true) return { timedOut: false, pending: [] };
    const state = { timedOut: false };
    let wake: () => void = () => undefined;
    const timeout = new Promise<void>((resolve) => {
      wake = resolve;
    });
    // Infinity: wait for the work however long it takes.
    const timer =
      timeoutMs === Infinity
        ? undefined
        : startTimer(clock, Math.min(maxTimerMs, Math.max(0, timeoutMs)), () => {
            state.timedOut = true;
            wake();
          });
    const onAbort = (): void => {
      wake();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      while (this.tracked.size > 0 && !state.timedOut && !isAborted(signal)) {
        await Promise.race([Promise.all([...this.tracked.keys()]), timeout]);
      }
    } finally {
      timer?.cancel();
      signal?.removeEventListener('abort', onAbort);
    }
    return state.timedOut
      ? { timedOut: true, pending: this.pendingNames() }
      : { timedOut: false, pending: [] };
  }
}

/**
 * Runs `fn(term)` as tracked work of `term` under its signal: rejects at once with the signal's
 * reason when the term has already ended; a synchronous throw of `fn` becomes a rejection.
 */
export function runTracked<T, Tm extends { readonly signal: AbortSignal }>(
  term: Tm,
  tracker: WorkTracker,
  name: string,
  fn: (term: Tm) => Promise<T>,
): Promise<T> {
  if (term.signal.aborted) return Promise.reject(term.signal.reason as Error);
  let work: Promise<T>;
  try {
    work = fn(term);
  } catch (error: unknown) {
    work = Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  return tracker.track(work, name);
}
