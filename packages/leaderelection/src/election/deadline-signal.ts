import { startTimer, type Clock } from '../clock.js';
import { LeaderElectionError } from '../leader-election-error.js';

/** A signal that aborts after a time on an injected clock, or with any parent. */
export interface DeadlineSignal extends Disposable {
  readonly signal: AbortSignal;
}

/**
 * Like `AbortSignal.any([AbortSignal.timeout(ms), ...parents])`, but timed by `clock` (so virtual
 * time drives it) and disposable (the timer goes away with `[Symbol.dispose]()`). The timeout
 * reason is a `LeaderElectionError` of kind `timeout` with `message`.
 */
export function deadlineSignal(
  clock: Clock,
  ms: number,
  parents: readonly AbortSignal[],
  message: string,
): DeadlineSignal {
  const timeout = new AbortController();
  const timer = startTimer(clock, Math.max(0, ms), () => {
    timeout.abort(new LeaderElectionError('timeout', message));
  });
  return {
    signal: AbortSignal.any([timeout.signal, ...parents]),
    [Symbol.dispose]: () => {
      timer.cancel();
    },
  };
}
