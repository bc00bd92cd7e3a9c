import { Observable, Subscriber, type Observer, type Subscription } from 'rxjs';

/**
 * `source` with the callbacks of every subscriber guarded: an exception thrown by a callback given to
 * `subscribe` (or an error with no error callback) goes to `onError` instead of rxjs's
 * unhandled-error path, which rethrows it on a timer and so crashes the process. Observables
 * derived from it with `pipe` are guarded the same way. rxjs's own `Subscriber`s (operators,
 * `firstValueFrom`) handle their errors themselves and pass through unchanged.
 */
export function guardSubscribers<T>(source: Observable<T>, onError: (error: unknown) => void): Observable<T> {
  const guarded = new Observable<T>((subscriber) => source.subscribe(subscriber));
  /** Observable's own subscribe, typed by the one (non-deprecated) shape this wrapper calls it with. */
  type SubscribeOnce = (this: Observable<T>, observer?: Partial<Observer<T>>) => Subscription;
  // eslint-disable-next-line @typescript-eslint/unbound-method, @typescript-eslint/no-deprecated
  const subscribeTo: SubscribeOnce = Observable.prototype.subscribe;
  const plainSubscribe = (observer?: Partial<Observer<T>>): Subscription =>
    subscribeTo.call(guarded, observer);
  const protect =
    <A extends unknown[]>(fn: (...args: A) => void, owner: unknown) =>
    (...args: A): void => {
      try {
        fn.apply(owner, args);
      } catch (error: unknown) {
        onError(error);
      }
    };
  const subscribe = (observer?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription => {
    if (observer === null || observer === undefined || observer instanceof Subscriber)
      return plainSubscribe(observer ?? undefined);
    if (typeof observer === 'function')
      return plainSubscribe({ next: protect(observer, undefined), error: onError });
    const { next, error, complete } = observer;
    return plainSubscribe({
      ...(next === undefined ? {} : { next: protect(next, observer) }),
      error: error === undefined ? onError : protect(error, observer),
      ...(complete === undefined ? {} : { complete: protect(complete, observer) }),
    });
  };
  const pipe = (...operators: unknown[]): Observable<unknown> =>
    guardSubscribers(
      (source.pipe as (...ops: unknown[]) => Observable<unknown>).apply(source, operators),
      onError,
    );
  return Object.assign(guarded, {
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    subscribe: subscribe as typeof guarded.subscribe,
    pipe: pipe as typeof guarded.pipe,
  });
}
