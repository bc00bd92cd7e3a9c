import type { Clock } from '@kubekit/leaderelection';
import { ManagerError } from './manager-error.js';
import type { Runnable, RunnableContext } from './runnable.js';

/** A runnable as the manager registered it. */
export interface RunnableEntry {
  readonly runnable: Runnable;
  /** For errors and logs. */
  readonly name: string;
}

/** How a runnable's run ended: stopped (resolved, or rejected after its signal aborted) or failed. */
export type RunOutcome = { readonly failed: false } | { readonly failed: true; readonly error: unknown };

/** A run that has not settled yet: the promise that settles with it, and the runnable's name. */
export interface PendingRun {
  readonly settled: Promise<void>;
  readonly name: string;
}

/**
 * Calls `entry.runnable.start` and always returns a promise: a synchronous throw becomes a
 * rejection, and a `start` that returns something other than a promise (a contract breach) a
 * rejection with a `ManagerError` of kind `invalidConfig` saying so.
 */
export function callStart(
  entry: RunnableEntry,
  signal: AbortSignal,
  context: RunnableContext,
): Promise<void> {
  let returned: unknown;
  try {
    returned = entry.runnable.start(signal, context);
  } catch (error: unknown) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  if (!isThenable(returned)) {
    return Promise.reject(
      new ManagerError(
        'invalidConfig',
        `start() of ${entry.name} returned ${returned === undefined ? 'undefined' : typeof returned}, not a Promise: ` +
          'make start async and resolve it once the work has stopped',
        { runnables: [entry.name] },
      ),
    );
  }
  return Promise.resolve(returned);
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The runs of one group of runnables (caches, others, or the leader-gated set of one term): starts
 * each run, reports the first failure, and tells which runs have not stopped yet.
 */
export class RunnableGroup {
  private readonly running = new Map<Promise<void>, string>();

  constructor(
    /** Called once per run that rejects before its signal aborted (and while its term was valid). */
    private readonly onFailure: (entry: RunnableEntry, error: unknown) => void,
    /** Called whenever the number of running runnables changes. */
    private readonly onCount: (count: number) => void = () => undefined,
  ) {}

  /** How many runs have not settled. */
  get size(): number {
    return this.running.size;
  }

  /** The names of the runs that have not settled. */
  pending(): string[] {
    return [...this.running.values()];
  }

  /** The runs that have not settled, each with a promise that settles with it. */
  pendingRuns(): PendingRun[] {
    return [...this.running].map(([settled, name]) => ({ settled, name }));
  }

  /**
   * Starts `entry` under `signal` (synchronously: `start` is called before this returns), through
   * `wrap` when given (a term's `runWhileLeading`). A synchronous throw counts as a rejection, and so
   * does a `start` that returns no promise. A rejection counts as stopping, not failing, once
   * `signal` has aborted or the run's term is no longer valid (a runnable that fences itself on
   * `term.isValid()` may see the end of its term a moment before its signal aborts).
   */
  run(
    entry: RunnableEntry,
    signal: AbortSignal,
    context: RunnableContext,
    wrap: (start: () => Promise<void>) => Promise<void> = (start) => start(),
  ): Promise<RunOutcome> {
    let started: Promise<void>;
    try {
      started = Promise.resolve(wrap(() => callStart(entry, signal, context)));
    } catch (error: unknown) {
      started = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const settled = started.then(
      (): RunOutcome => ({ failed: false }),
      (error: unknown): RunOutcome => {
        if (signal.aborted || termEnded(context)) return { failed: false };
        try {
          this.onFailure(entry, error);
        } catch {
          // Reporting must not keep the run from counting as settled.
        }
        return { failed: true, error };
      },
    );
    const marker = settled.then(() => undefined);
    this.running.set(marker, entry.name);
    this.onCount(this.running.size);
    void marker.then(() => {
      this.running.delete(marker);
      this.onCount(this.running.size);
    });
    return settled;
  }

  /**
   * Resolves with the names of the runs still going once every run has settled (`[]`), once
   * `timeoutMs` has passed on `clock`, or once `interrupt` aborts (those not settled). `Infinity`
   * waits for ever; 0 waits one timer turn, so that runs which stop as soon as they see their signal
   * count as stopped.
   */
  async settle(clock: Clock, timeoutMs: number, interrupt?: AbortSignal): Promise<string[]> {
    if (this.running.size === 0 || interrupt?.aborted === true) return this.pending();
    const timedOut = new AbortController();
    const timeout =
      timeoutMs === Infinity
        ? new Promise<void>(() => undefined)
        : clock.sleep(Math.max(0, timeoutMs), timedOut.signal).then(
            () => {
              timedOut.abort();
            },
            () => undefined,
          );
    const onInterrupt = (): void => {
      if (!timedOut.signal.aborted) timedOut.abort();
    };
    interrupt?.addEventListener('abort', onInterrupt, { once: true });
    const interrupted = new Promise<void>((resolve) => {
      timedOut.signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
    try {
      while (this.running.size > 0 && !timedOut.signal.aborted) {
        await Promise.race([Promise.all([...this.running.keys()]), timeout, interrupted]);
      }
    } finally {
      interrupt?.removeEventListener('abort', onInterrupt);
      if (!timedOut.signal.aborted) timedOut.abort();
    }
    return this.pending();
  }
}

/** True when the run's term (leader-gated runs only) has ended or passed its validity. */
function termEnded(context: RunnableContext): boolean {
  const term = context.term;
  if (term === undefined) return false;
  try {
    return !term.isValid();
  } catch {
    return false;
  }
}
