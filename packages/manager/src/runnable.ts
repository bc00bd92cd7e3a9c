/**
 * Something the Manager runs. `start` begins the work and resolves once the work has really
 * stopped: after `signal` aborts, or earlier when the work ends by itself. A rejection is the
 * runnable's failure and stops the Manager with that error. `start` is called at most once.
 */
export interface Runnable {
  start(signal: AbortSignal): Promise<void>;
}

/**
 * A capability a Runnable may add. `false` means it runs on every replica; `true` (and any
 * Runnable without this method) means it runs only while this replica leads.
 */
export interface LeaderElectionRunnable {
  needLeaderElection(): boolean;
}

/** True when `value` declares whether it needs leader election. */
export function isLeaderElectionRunnable(value: unknown): value is LeaderElectionRunnable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<LeaderElectionRunnable>).needLeaderElection === 'function'
  );
}

/** True when `runnable` may run only on the leader (the default for any Runnable). */
export function needsLeaderElection(runnable: Runnable): boolean {
  return isLeaderElectionRunnable(runnable) ? runnable.needLeaderElection() : true;
}

/** Options of {@link runnable}. */
export interface RunnableOptions {
  /** Whether the function may run only on the leader. Default: true. */
  readonly needLeaderElection?: boolean;
}

/** Adapts a function to a {@link Runnable}, optionally declaring its leader-election need. */
export function runnable(
  start: (signal: AbortSignal) => Promise<void>,
  options: RunnableOptions = {},
): Runnable & LeaderElectionRunnable {
  const leaderOnly = options.needLeaderElection ?? true;
  return {
    start,
    needLeaderElection: () => leaderOnly,
  };
}
