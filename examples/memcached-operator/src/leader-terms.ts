import type { Leadership, Term } from '@kubekit/leaderelection';
import type { Observable, Subscription } from 'rxjs';

/** Where a reconciler finds the term it runs in, to fence its writes. */
export interface TermSource {
  /** The current term of this replica; `undefined` while it does not lead. */
  current(): Term | undefined;
}

/**
 * The term of the Manager this replica runs, followed through `manager.leadership$`.
 *
 * `@kubekit/reconcile` calls a reconciler with `(request, signal)` only: the signal aborts when the
 * term ends, but a write must also not start when the term is about to end (less left than the
 * write may take). A leader-gated controller runs only inside a term, so the term current when a
 * reconcile begins is the one it runs in; the reconciler checks it before every write.
 */
export class LeaderTerms implements TermSource {
  #term: Term | undefined;

  /** Follows `leadership$` until it completes (the Manager stopped) or the subscription ends. */
  follow(leadership$: Observable<Leadership>): Subscription {
    return leadership$.subscribe({
      next: (leadership) => {
        this.#term = leadership.leading ? leadership.term : undefined;
      },
      complete: () => {
        this.#term = undefined;
      },
    });
  }

  current(): Term | undefined {
    return this.#term;
  }
}
