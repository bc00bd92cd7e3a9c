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
 * timer and so crashes a Node process). Observables made from it with `pipe` are guarded the same
 * way. Operators and `firstValueFrom` subscribe with rxjs `Subscriber`s, which handle their own
 * errors, and pass through unchanged. (An observable made with a static function such as
 * `combineLatest` is the subscriber's to guard.)
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
    // An error with no handler of the subscriber's goes to onError too (rxjs would rethrow it).
    if (typeof observer === 'function')
      return subscribe({ next: guard(observer, undefined, onError), error: onError });
    const { next, error, complete } = observer;
    return subscribe({
      ...(next === undefined ? {} : { next: guard(next, observer, onError) }),
      error: error === undefined ? onError : guard(error, observer, onError),
      ...(complete === undefined ? {} : { complete: guard(complete, observer, onError) }),
    });
  };
  // Observables derived through `pipe` are guarded too, so `leadership$.pipe(filter(...))` is as
  // safe to subscribe to as `leadership$`.
  const pipe = (...operators: unknown[]): Observable<unknown> =>
    guardSubscribers(
      (source.pipe as (...ops: unknown[]) => Observable<unknown>).apply(guarded, operators),
      onError,
    );
  // The instance's subscribe and pipe are replaced by guarding ones (same contracts).
  return Object.assign(guarded, {
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    subscribe: wrapped as typeof guarded.subscribe,
    pipe: pipe as typeof guarded.pipe,
  });
}
