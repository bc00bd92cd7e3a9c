import type { Clock, Term } from '@kubekit/leaderelection';
import type { RunnableEntry } from './runnable-group.js';

/**
 * The term of a rehearsal (see `TermRunner`): never published, never seen by a runnable of the
 * manager; valid until the rehearsal aborts its runs.
 */
export class RehearsalTerm implements Term {
  readonly identity = 'rehearsal';
  readonly epoch = -1;
  readonly acquiredAt: number;
  readonly acquireTime = new Date(0);
  readonly signal: AbortSignal = new AbortController().signal;

  constructor(clock: Clock) {
    this.acquiredAt = clock.now();
  }

  validUntil(): number {
    return Infinity;
  }

  remainingMs(): number {
    return Infinity;
  }

  exclusiveUntil(): number {
    return Infinity;
  }

  isValid(): boolean {
    return true;
  }

  track<T>(work: Promise<T>): Promise<T> {
    return work;
  }

  runWhileLeading<T>(_name: string, fn: (term: Term) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

/** The one runnable of a rehearsal: it does nothing and has stopped at once. */
export const rehearsalEntry: RunnableEntry = {
  runnable: { start: () => Promise.resolve() },
  name: 'rehearsal',
};

/**
 * The reason a rehearsal's runs are aborted with (`abort()` without one would build a
 * `DOMException`, stack included).
 */
export const rehearsed: unknown = Object.freeze({ reason: 'rehearsal over' });
