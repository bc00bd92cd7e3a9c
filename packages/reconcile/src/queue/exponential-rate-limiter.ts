import { ReconcileError } from '../reconcile-error.js';
import type { RateLimiter } from './rate-limiter.js';

/** Options of {@link ExponentialRateLimiter}. */
export interface ExponentialRateLimiterOptions {
  /** Delay after the first failure, in ms. Default 5 (client-go). */
  readonly baseDelayMs?: number;
  /** The longest delay, in ms. Default 1,000,000 (1000 s, client-go). */
  readonly maxDelayMs?: number;
}

/**
 * Per-item exponential backoff: `baseDelayMs × 2^failures`, capped at `maxDelayMs`, as client-go's
 * `ItemExponentialFailureRateLimiter`. Each key's failures count separately until `forget`.
 */
export class ExponentialRateLimiter<K = string> implements RateLimiter<K> {
  readonly #failures = new Map<K, number>();
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;

  constructor(options: ExponentialRateLimiterOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? 5;
    this.#maxDelayMs = options.maxDelayMs ?? 1_000_000;
    if (!(this.#baseDelayMs > 0) || !(this.#maxDelayMs >= this.#baseDelayMs)) {
      throw new ReconcileError(
        'invalidArgument',
        `exponential rate limiter: baseDelayMs (${String(this.#baseDelayMs)}) must be > 0 and ` +
          `maxDelayMs (${String(this.#maxDelayMs)}) at least baseDelayMs`,
      );
    }
  }

  when(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long after the cap is reached; min() handles both.
    return Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** failures);
  }

  forget(key: K): void {
    this.#failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.#failures.get(key) ?? 0;
  }
}
