import type { Term } from '@kubekit/leaderelection';

/**
 * What the Manager passes to `start` besides the signal. For a leader-gated runnable `term` is the
 * Term it runs in (with leader election disabled: a term that lasts as long as the manager): check
 * `term.isValid()` or `term.remainingMs()` right before a side effect that two leaders must not
 * both do, and use `term.epoch` as a fencing token. For a runnable that runs on every replica
 * `term` is `undefined`.
 */
export interface RunnableContext {
  readonly term: Term | undefined;
}

/**
 * Something the Manager runs. `start` begins the work and resolves once the work has really
 * stopped: after `signal` aborts, or earlier when the work ends by itself. A rejection before
 * `signal` aborted is the runnable's failure and stops the Manager with that error; a rejection
 * after it aborted counts as stopping. `start` is called at most once, unless the runnable is
 * restartable (see `RestartableRunnable`): then once per term of leadership.
 *
 * A leader-gated runnable's `signal` aborts the instant its term ends (it is the term's signal,
 * combined with the manager's shutdown); `context.term` is that term.
 */
export interface Runnable {
  start(signal: AbortSignal, context?: RunnableContext): Promise<void>;
}

/** True when `value` has a `start` method, i.e. can be added to a Manager. */
export function isRunnable(value: unknown): value is Runnable {
  return (
    typeof value === 'object' && value !== null && typeof (value as Partial<Runnable>).start === 'function'
  );
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

/**
 * A capability a Runnable may add: `restartable() === true` says `start` may be called again after
 * an earlier `start` has resolved (with `onLeadershipLost: 'recampaign'` a leader-gated runnable
 * is started once per term). Runnables without it are started at most once.
 */
export interface RestartableRunnable {
  restartable(): boolean;
}

/** True when `value` declares whether it can be started again. */
export function isRestartableRunnable(value: unknown): value is RestartableRunnable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<RestartableRunnable>).restartable === 'function'
  );
}

/** True when `runnable` says `start` may be called again once an earlier run has stopped. */
export function canRestart(runnable: Runnable): boolean {
  return isRestartableRunnable(runnable) && runnable.restartable();
}

/** Options of {@link runnable}. */
export interface RunnableOptions {
  /** Whether the function may run only on the leader. Default: true. */
  readonly needLeaderElection?: boolean;
  /**
   * Whether the function may be called again for a later term (`recampaign`). Default: true: the
   * adapter holds no state, so it must not rely on state kept from an earlier call either.
   */
  readonly restartable?: boolean;
}

/** Adapts a function to a {@link Runnable}, optionally declaring its leader-election need. */
export function runnable(
  start: (signal: AbortSignal, context?: RunnableContext) => Promise<void>,
  options: RunnableOptions = {},
): Runnable & LeaderElectionRunnable & RestartableRunnable {
  const leaderOnly = options.needLeaderElection ?? true;
  const again = options.restartable ?? true;
  return {
    start,
    needLeaderElection: () => leaderOnly,
    restartable: () => again,
  };
}

/** Options of {@link fromFactory}. */
export interface FactoryOptions {
  /** Whether the runnables may run only on the leader. Default: what the first one says. */
  readonly needLeaderElection?: boolean;
}

/**
 * A restartable Runnable from a factory of runnables that can each start only once (a controller
 * with its own queue, say): the first `start` uses a runnable made at once (so its needs are known
 * when it is added), every later `start` a fresh one from `factory`. Use it for leader-gated work
 * under `onLeadershipLost: 'recampaign'`.
 */
export function fromFactory(
  factory: () => Runnable,
  options: FactoryOptions = {},
): Runnable & LeaderElectionRunnable & RestartableRunnable {
  let unused: Runnable | undefined = factory();
  const leaderOnly = options.needLeaderElection ?? needsLeaderElection(unused);
  return {
    start: (signal, context) => {
      const instance = unused ?? factory();
      unused = undefined;
      return instance.start(signal, context);
    },
    needLeaderElection: () => leaderOnly,
    restartable: () => true,
  };
}
