import { quietLogger, type Clock } from '@kubekit/leaderelection';
import { ConditionLog } from '#lib/election/condition-log.js';
import { LockObserver } from '#lib/election/lock-observer.js';

/**
 * A `LockObserver` of identity "x" (leaseDuration 10 s) on a virtual clock that the test moves
 * (`clock.t`, ms), with a listener that ignores everything.
 */
export function observerFixture(): { observer: LockObserver; clock: { t: number } & Clock } {
  const clock = {
    t: 1_000_000,
    now() {
      return this.t;
    },
    sleep: () => Promise.resolve(),
  };
  const ignore = (): undefined => undefined;
  const listener = { changed: ignore, foreignState: ignore, duplicateIdentity: ignore, readWanted: ignore };
  const observer = new LockObserver('x', 'lock', 10_000, clock, new ConditionLog(quietLogger, {}), listener);
  return { observer, clock };
}
