import { ReconcileError } from '../reconcile-error.js';
import { BucketRateLimiter } from './bucket-rate-limiter.js';
import { ExponentialRateLimiter } from './exponential-rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Clock } from '@kubekit/client';

/**
 * The longest delay any of its limiters asks for (client-go's `MaxOfRateLimiter`); every limiter
 * records each failure, `forget` goes to all, `numRequeues` is the largest count.
 */
export class MaxOfRateLimiter<K = string> implements RateLimiter<K> {
  readonly #limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    if (limiters.length === 0) {
      throw new ReconcileError('invalidArgument', 'max-of rate limiter: give at least one limiter');
    }
    this.#limiters = limiters;
  }

  when(key: K): number {
    let delay = 0;
    for (const limiter of this.#limiters) delay = Math.max(delay, limiter.when(key));
    return delay;
  }

  forget(key: K): void {
    for (const limiter of this.#limiters) limiter.forget(key);
  }

  numRequeues(key: K): number {
    let count = 0;
    for (const limiter of this.#limiters) count = Math.max(count, limiter.numRequeues(key));
    return count;
  }
}

/**
 * client-go's `DefaultControllerRateLimiter`: per-item exponential backoff 5 ms → 1000 s, and
 * an overall token bucket of 10 qps with a burst of 100; the larger delay wins.
 */
export function defaultControllerRateLimiter<K = string>(clock?: Clock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ExponentialRateLimiter<K>(),
    new BucketRateLimiter<K>(clock === undefined ? {} : { clock }),
  );
}
