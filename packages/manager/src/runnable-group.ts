import type { Clock } from '@kubekit/leaderelection';
import type { Runnable, RunnableContext } from './runnable.js';

/** A runnable as the manager registered it. */
export interface RunnableEntry {
  readonly runnable: Runnable;
  /** For errors and logs. */
  readonly name: string;
}

/** How a runnable's run ended: stopped (resolved, or rejected after its signal aborted) or failed. */
export type RunOutcome = { readonly failed: false } | { readonly failed: true; readonly error: unknown };

/**
 * The runs of one group of runnables (caches, others, or the leader-gated set of one term): starts
 * each run, reports the first failure, and tells which runs have not stopped yet.
 */
export class RunnableGroup {
  private readonly running = new Map<Promise<void>, string>();

  constructor(
    /** Called once per run that rejects before its signal aborted. */
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

  /**
   * Starts `entry` under `signal` (synchronously: `start` is called before this returns), through
   * `wrap` when given (a term's `runWhileLeading`). A synchronous throw counts as a rejection.
   */
  run(
    entry: RunnableEntry,
    signal: AbortSignal,
    context: RunnableContext,
    wrap: (start: () => Promise<void>) => Promise<void> = (start) => start(),
  ): Promise<RunOutcome> {
    let started: Promise<void>;
    try {
      started = wrap(() => entry.runnable.start(signal, context));
    } catch (error: unknown) {
      started = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const settled = started.then(
      (): RunOutcome => ({ failed: false }),
      (error: unknown): RunOutcome => {
        if (signal.aborted) return { failed: false };
        this.onFailure(entry, error);
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
   * Resolves with the names of the runs still going once every run has settled (`[]`), or once
   * `timeoutMs` has passed on `clock` (those not settled). `Infinity` waits for ever; 0 waits one
   * timer turn, so that runs which stop as soon as they see their signal count as stopped.
   */
  async settle(clock: Clock, timeoutMs: number): Promise<string[]> {
    if (this.running.size === 0) return [];
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
    try {
      while (this.running.size > 0 && !timedOut.signal.aborted) {
        await Promise.race([Promise.all([...this.running.keys()]), timeout]);
      }
    } finally {
      if (!timedOut.signal.aborted) timedOut.abort();
    }
    return this.pending();
  }
}
