import { BehaviorSubject, distinctUntilChanged, EMPTY, type Observable } from 'rxjs';
import {
  LeaderElectionError,
  type Clock,
  type Elector,
  type Leadership,
  type Term,
} from '@kubekit/leaderelection';

/** The term of a manager without leader election: it lasts until the manager stops. */
class SoleTerm implements Term {
  readonly epoch = 0;
  readonly acquiredAt: number;
  readonly acquireTime = new Date();
  private readonly controller = new AbortController();
  private endedAt: number | undefined;

  constructor(
    readonly identity: string,
    private readonly clock: Clock,
  ) {
    this.acquiredAt = clock.now();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  validUntil(): number {
    return this.endedAt ?? Infinity;
  }

  remainingMs(): number {
    return this.endedAt === undefined ? Infinity : 0;
  }

  exclusiveUntil(): number {
    return this.endedAt ?? Infinity;
  }

  isValid(): boolean {
    return this.endedAt === undefined;
  }

  track<T>(work: Promise<T>): Promise<T> {
    return work;
  }

  runWhileLeading<T>(_name: string, fn: (term: Term) => Promise<T>): Promise<T> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason as Error);
    try {
      return fn(this);
    } catch (error: unknown) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  end(): void {
    if (this.endedAt !== undefined) return;
    this.endedAt = this.clock.now();
    this.controller.abort(new LeaderElectionError('stopped', 'the manager stopped'));
  }
}

/**
 * The elector of a manager without leader election (`leaderElection: false`): it leads from `run`
 * until its signal aborts, in one term (epoch 0), so that leader-gated runnables start with the
 * others and still get a Term.
 */
export class SoleElector implements Elector {
  readonly identity = 'sole';
  readonly lockDescription = 'none';
  readonly leadership$: Observable<Leadership>;
  readonly leader$: Observable<string | undefined>;
  readonly errors$ = EMPTY;
  private readonly subject = new BehaviorSubject<Leadership>({ leading: false });

  constructor(private readonly clock: Clock) {
    this.leadership$ = this.subject.asObservable().pipe(distinctUntilChanged());
    this.leader$ = EMPTY;
  }

  async run(signal: AbortSignal): Promise<void> {
    const term = new SoleTerm(this.identity, this.clock);
    this.subject.next({ leading: true, term });
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
    });
    term.end();
    this.subject.next({ leading: false });
    this.subject.complete();
  }

  whenLeading(signal?: AbortSignal): Promise<Term> {
    return new Promise<Term>((resolve, reject) => {
      const onAbort = (): void => {
        subscription.unsubscribe();
        reject(signal?.reason as Error);
      };
      const subscription = this.subject.subscribe({
        next: (leadership) => {
          if (!leadership.leading) return;
          signal?.removeEventListener('abort', onAbort);
          resolve(leadership.term);
        },
        complete: () => {
          signal?.removeEventListener('abort', onAbort);
          reject(new LeaderElectionError('stopped', 'the manager stopped before it started'));
        },
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  currentTerm(): Term | undefined {
    const leadership = this.subject.value;
    return leadership.leading ? leadership.term : undefined;
  }

  currentLeader(): string | undefined {
    return this.currentTerm() === undefined ? undefined : this.identity;
  }

  healthy(): boolean {
    return true;
  }

  checkHealth(): void {
    // Nothing to watch: there is no lease to renew.
  }
}
