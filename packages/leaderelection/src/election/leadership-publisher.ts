import { BehaviorSubject, distinctUntilChanged, Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import { LeaderElectionError } from '../leader-election-error.js';
import type { Logger } from '../logger.js';
import type { Leadership, Term } from './elector.js';
import { guardSubscribers } from './guarded-observable.js';

/**
 * An elector's observable state: leadership, the observed leader and retried failures, each a
 * private subject exposed read-only. A subscriber that throws is logged, never allowed to crash
 * the process or to break the elector's control flow.
 */
export class LeadershipPublisher {
  readonly leadership$: Observable<Leadership>;
  readonly leader$: Observable<string | undefined>;
  readonly errors$: Observable<LeaderElectionError>;
  /** Where the elector's loops report retried failures. */
  readonly errors = new Subject<LeaderElectionError>();
  private readonly leadershipSubject = new BehaviorSubject<Leadership>({ leading: false });
  private readonly leaderSubject = new BehaviorSubject<string | undefined>(undefined);

  constructor(logger: Logger, fields: object) {
    const onError = (error: unknown): void => {
      logger.error({ ...fields, err: error }, 'a subscriber of the elector threw (ignored)');
    };
    this.leadership$ = guardSubscribers(this.leadershipSubject.pipe(distinctUntilChanged()), onError);
    this.leader$ = guardSubscribers(this.leaderSubject.pipe(distinctUntilChanged()), onError);
    this.errors$ = guardSubscribers(this.errors.asObservable(), onError);
  }

  get leadership(): Leadership {
    return this.leadershipSubject.value;
  }

  get leader(): string | undefined {
    return this.leaderSubject.value;
  }

  publishLeadership(leadership: Leadership): void {
    this.leadershipSubject.next(leadership);
  }

  publishLeader(leader: string | undefined): void {
    this.leaderSubject.next(leader);
  }

  /**
   * Resolves with the current term, or the next one acquired; rejects with the signal's reason when
   * `signal` aborts first, or with a `stopped` error (naming `description`) when the elector stops
   * first. Leaves no subscription or listener behind.
   */
  whenLeading(description: string, signal?: AbortSignal): Promise<Term> {
    return new Promise<Term>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const state = { settled: false };
      const onAbort = (): void => {
        state.settled = true;
        subscription.unsubscribe();
        reject(signal?.reason as Error);
      };
      const subscription = this.leadershipSubject.subscribe({
        next: (leadership) => {
          if (!leadership.leading || state.settled) return;
          state.settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(leadership.term);
          queueMicrotask(() => {
            subscription.unsubscribe();
          });
        },
        complete: () => {
          if (state.settled) return;
          state.settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(new LeaderElectionError('stopped', `${description}: the elector stopped before acquiring`));
        },
      });
      if (!state.settled) signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Completes every observable (once the elector has stopped). */
  complete(): void {
    this.leadershipSubject.complete();
    this.leaderSubject.complete();
    this.errors.complete();
  }
}
