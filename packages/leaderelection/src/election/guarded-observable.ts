import { Observable, Subscriber } from 'rxjs';
import type { Observer, Subscription } from 'rxjs';

type Callback = ((value: never) => void) | (() => void);

function guard<F extends Callback>(fn: F, owner: object | undefined, onError: (error: unknown) => void): F {
  return ((value?: never) => {
    try {
      if (owner === undefined) (fn as (value?: never) => void)(value);
      else (fn as (value?: never) => void).call(owner, value);
    } catch (error: unknown) {
      onError(error);
    }
  }) as F;
}

/**
 * `source` with every subscriber's own callbacks guarded: an exception thrown by a callback passed
 * to `subscribe` goes to `onError` instead of rxjs's unhandled-error path (which rethrows it on a
 * timer and so crashes a Node process). Operators and `firstValueFrom` subscribe with rxjs
 * `Subscriber`s, which handle their own errors, and pass through unchanged; callbacks of a piped
 * observable are the subscriber's to guard.
 */
export function guardSubscribers<T>(source: Observable<T>, onError: (error: unknown) => void): Observable<T> {
  const guarded = new Observable<T>((subscriber) => source.subscribe(subscriber));
  /** Observable's own subscribe, typed by the one (non-deprecated) shape this wrapper calls it with. */
  type SubscribeOnce = (this: Observable<T>, observer?: Partial<Observer<T>>) => Subscription;
  // eslint-disable-next-line @typescript-eslint/unbound-method, @typescript-eslint/no-deprecated
  const subscribeTo: SubscribeOnce = Observable.prototype.subscribe;
  const subscribe = (observer?: unknown): Subscription =>
    subscribeTo.call(guarded, observer as Partial<Observer<T>> | undefined);
  const wrapped = (observer?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription => {
    if (observer === null || observer === undefined || observer instanceof Subscriber)
      return subscribe(observer);
    if (typeof observer === 'function') return subscribe(guard(observer, undefined, onError));
    const { next, error, complete } = observer;
    return subscribe({
      ...(next === undefined ? {} : { next: guard(next, observer, onError) }),
      ...(error === undefined ? {} : { error: guard(error, observer, onError) }),
      ...(complete === undefined ? {} : { complete: guard(complete, observer, onError) }),
    });
  };
  // The instance's subscribe is replaced by the guarding one (same contract).
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  return Object.assign(guarded, { subscribe: wrapped as typeof guarded.subscribe });
}
