import type { Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { Lock } from '../locks/lock.js';
import type { Logger } from '../logger.js';
import type { EventRecorder } from '../observability/event-recorder.js';
import type { LeaseTimings } from './lease-timings.js';

/** Options of `LeaseElector`. Durations are in milliseconds. */
export interface LeaseElectorOptions extends Partial<LeaseTimings> {
  /** Where the record lives: a `LeaseLock`, a `ConfigMapLock`, or your own `Lock`. */
  readonly lock: Lock;
  /** This replica's identity; defaults to (and must equal) `lock.identity`. */
  readonly identity?: string;
  /**
   * On a voluntary stop, write an empty holder once tracked work has drained, so a follower takes
   * over at once instead of after leaseDuration. Default `false` (as client-go).
   */
  readonly releaseOnCancel?: boolean;
  /**
   * How long a voluntary stop waits for `term.track`ed work (still renewing the lock meanwhile)
   * before releasing. When work is still running then, the lock is **not** released: it expires
   * after leaseDuration, the work is named in an error-level log line and on `errors$`. Default
   * renewDeadline.
   */
  readonly drainTimeout?: number;
  /**
   * Timeout of one API request, so that a lost answer leaves time for another attempt; a leader's
   * requests are further bounded by the time left before renewDeadline. Default renewDeadline / 2.
   */
  readonly requestTimeout?: number;
  /** Added to leaseDuration before the health check fails for a leader that has not renewed. Default retryPeriod. */
  readonly healthTolerance?: number;
  /**
   * Watch the lock (default `true`). `false` makes followers poll every jittered retryPeriod, as
   * client-go does: only for comparisons (the benchmark's baseline).
   */
  readonly watch?: boolean;
  /**
   * Keep the watch open while this replica leads (default `false`). By default a leader closes
   * its watch when its term starts and re-opens it, from the last resourceVersion observed
   * (normally its own last write), when the term ends: as with client-go, a leader learns of a
   * foreign holder through its next renew (409, re-read, step down at once), i.e. within
   * retryPeriod, and the API server keeps no watch for it. Safety does not depend on the watch:
   * every write is a compare-and-swap, and a follower that follows the protocol takes over only
   * after the leader's term has ended (at renewDeadline, before leaseDuration can pass anywhere).
   * Only writers outside the protocol (a person editing the Lease, other software) can put
   * another holder in while a term is valid. `true` keeps the watch, so that such a write ends
   * the term within milliseconds instead of retryPeriod; each renew then also comes back to the
   * leader as a watch event (about 1.8 times the CPU with a thousand electors in one process).
   * Ignored when `watch` is `false`.
   */
  readonly watchWhileLeading?: boolean;
  /** Monotonic time and timers. Default `systemClock`. */
  readonly clock?: Clock;
  /** Default: logs nothing. */
  readonly logger?: Logger;
  /** prom-client registry for the metrics; default prom-client's global registry; `null`: no metrics. */
  readonly registry?: Registry | null;
  /** Where Events go; default `lock.eventRecorder`; `null`: no Events. */
  readonly eventRecorder?: EventRecorder | null;
  /** Source of randomness for jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}
