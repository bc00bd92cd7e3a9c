import { systemClock, type Clock } from '@kubekit/client';
import { ReconcileError } from '../reconcile-error.js';
import type { RateLimiter } from './rate-limiter.js';

/** Options of {@link BucketRateLimiter}. */
export interface BucketRateLimiterOptions {
  /** Tokens added per second. Default 10 (client-go's controller default). */
  readonly qps?: number;
  /** Bucket size: how many retries may go at once. Default 100. */
  readonly burst?: number;
  /** Time source. Default the system's monotonic clock. */
  readonly clock?: Clock;
}

/**
 * One token bucket over all items (client-go's `BucketRateLimiter`): each `when` reserves a
 * token and returns how long to wait for it, so retries of all items together stay under `qps`
 * after a `burst`. It keeps no per-item state: `forget` does nothing and `numRequeues` is 0.
 */
export class BucketRateLimiter<K = string> implements RateLimiter<K> {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  /** Tokens at `#at` (may be negative: reservations not yet covered). */
  #tokens: number;
  #at: number;

  constructor(options: BucketRateLimiterOptions = {}) {
    this.#qps = options.qps ?? 10;
    this.#burst = options.burst ?? 100;
    this.#clock = options.clock ?? systemClock;
    if (!(this.#qps > 0) || !Number.isInteger(this.#burst) || this.#burst < 1) {
      throw new ReconcileError(
        'invalidArgument',
        `bucket rate limiter: qps (${String(this.#qps)}) must be > 0 and burst (${String(this.#burst)}) an integer >= 1`,
      );
    }
    this.#tokens = this.#burst;
    this.#at = this.#clock.now();
  }

  when(_key: K): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#qps) / 1000);
    this.#at = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }

  forget(_key: K): void {
    // No per-item state.
  }

  numRequeues(_key: K): number {
    return 0;
  }
}
